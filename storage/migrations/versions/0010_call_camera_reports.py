"""call camera reports: the applicant page's camera reports are counted per call (not per
socket), so a reconnect starts neither the rate limit nor the console's one refusal notice again

Revision ID: 0010_call_camera_reports
Revises: 0009_intake_leases
Create Date: 2026-11-30 01:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0010_call_camera_reports'
down_revision = '0009_intake_leases'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('signalling_calls') as batch:
        batch.add_column(sa.Column('camera_reports', sa.Text(), nullable=False, server_default='[]'))
        batch.add_column(
            sa.Column('camera_refusal_told', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('signalling_calls') as batch:
        batch.drop_column('camera_refusal_told')
        batch.drop_column('camera_reports')
