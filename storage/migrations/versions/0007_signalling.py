"""signalling: calls in flight and their mail, shared by intake instances

Revision ID: 0007_signalling
Revises: 0007_consent
Create Date: 2026-11-29 22:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007_signalling'
down_revision = '0007_consent'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signalling_calls',
    sa.Column('session_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_name', sa.String(length=100), nullable=False),
    sa.Column('leg', sa.Integer(), nullable=False),
    sa.Column('leg_open', sa.Boolean(), nullable=False),
    sa.Column('ended', sa.Boolean(), nullable=False),
    sa.Column('applicant_present', sa.Boolean(), nullable=False),
    sa.Column('applicant_epoch', sa.Integer(), nullable=False),
    sa.Column('console_present', sa.Boolean(), nullable=False),
    sa.Column('console_epoch', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_signalling_calls'))
    )
    op.create_table('signalling_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signalling_messages'))
    )
    op.create_index('ix_signalling_messages_session_party', 'signalling_messages', ['session_id', 'party', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_signalling_messages_session_party', table_name='signalling_messages')
    op.drop_table('signalling_messages')
    op.drop_table('signalling_calls')
