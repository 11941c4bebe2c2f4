"""the questions a session asks, drawn from the questionnaire's pools, in the order asked

Revision ID: 0008_questions_asked
Revises: 0007_signalling
Create Date: 2026-11-30 00:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008_questions_asked'
down_revision = '0007_signalling'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_sessions') as batch:
        batch.add_column(sa.Column('questions_asked', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_sessions') as batch:
        batch.drop_column('questions_asked')
