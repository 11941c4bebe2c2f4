"""console credentials: sign-ins of consoles to the intake service, and refused sign-ins

Revision ID: 0004_console_credentials
Revises: 0002
Create Date: 2026-11-29 21:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004_console_credentials'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('address', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewers.id'], name=op.f('fk_console_credentials_reviewer_id_reviewers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_credentials')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_console_credentials_token_digest'))
    )
    op.create_index(op.f('ix_console_credentials_reviewer_id'), 'console_credentials', ['reviewer_id'], unique=False)
    op.create_table('sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures'))
    )
    op.create_index('ix_sign_in_failures_key_at', 'sign_in_failures', ['key', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sign_in_failures_key_at', table_name='sign_in_failures')
    op.drop_table('sign_in_failures')
    op.drop_index(op.f('ix_console_credentials_reviewer_id'), table_name='console_credentials')
    op.drop_table('console_credentials')
