"""intake leases: live intake instances, who holds a waiting applicant's socket, and which
instance holds each party of a call, so a crashed instance's applicants and calls are reclaimed

Revision ID: 0009_intake_leases
Revises: 0008_questions_asked
Create Date: 2026-11-30 00:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0009_intake_leases'
down_revision = '0008_questions_asked'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('intake_instances',
    sa.Column('instance_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_intake_instances'))
    )
    op.create_table('queue_holders',
    sa.Column('session_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('instance_id', sa.String(length=64), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_queue_holders'))
    )
    op.create_index('ix_queue_holders_instance', 'queue_holders', ['instance_id'], unique=False)
    with op.batch_alter_table('signalling_calls') as batch:
        batch.add_column(sa.Column('applicant_instance', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('console_instance', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('signalling_calls') as batch:
        batch.drop_column('console_instance')
        batch.drop_column('applicant_instance')
    op.drop_index('ix_queue_holders_instance', table_name='queue_holders')
    op.drop_table('queue_holders')
    op.drop_table('intake_instances')
