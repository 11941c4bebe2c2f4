"""the applicant's consent, stored with the session

Revision ID: 0007_consent
Revises: 0006_recording_store
Create Date: 2026-11-29 21:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007_consent'
down_revision = '0006_recording_store'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('session_consents',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['review_sessions.id'], name=op.f('fk_session_consents_session_id_review_sessions')),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_session_consents'))
    )


def downgrade() -> None:
    op.drop_table('session_consents')
