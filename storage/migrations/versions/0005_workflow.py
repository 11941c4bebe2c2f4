"""the bank's workflow around the call: legal holds and retention deletions, four-eyes checks

Revision ID: 0005_workflow
Revises: 0004_console_credentials
Create Date: 2026-11-29 21:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005_workflow'
down_revision = '0004_console_credentials'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('legal_holds',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('placed_by', sa.String(length=100), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['review_sessions.id'], name=op.f('fk_legal_holds_session_id_review_sessions')),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_legal_holds'))
    )
    op.create_table('retention_deletions',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('files', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['review_sessions.id'], name=op.f('fk_retention_deletions_session_id_review_sessions')),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_retention_deletions'))
    )
    op.create_table('decision_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('maker_id', sa.Integer(), nullable=True),
    sa.Column('selected_because', sa.JSON(), nullable=False),
    sa.Column('selected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('checker_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('resolution', sa.String(length=30), nullable=True),
    sa.CheckConstraint('checker_id IS NULL OR maker_id IS NULL OR checker_id <> maker_id', name=op.f('ck_decision_checks_checker_not_maker')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_decision_checks_decision_id_decisions')),
    sa.ForeignKeyConstraint(['session_id'], ['review_sessions.id'], name=op.f('fk_decision_checks_session_id_review_sessions')),
    sa.ForeignKeyConstraint(['maker_id'], ['reviewers.id'], name=op.f('fk_decision_checks_maker_id_reviewers')),
    sa.ForeignKeyConstraint(['checker_id'], ['reviewers.id'], name=op.f('fk_decision_checks_checker_id_reviewers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_checks')),
    sa.UniqueConstraint('decision_id', name=op.f('uq_decision_checks_decision_id'))
    )
    op.create_index('ix_decision_checks_state_selected', 'decision_checks', ['state', 'selected_at'], unique=False)
    op.create_index(op.f('ix_decision_checks_session_id'), 'decision_checks', ['session_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_decision_checks_session_id'), table_name='decision_checks')
    op.drop_index('ix_decision_checks_state_selected', table_name='decision_checks')
    op.drop_table('decision_checks')
    op.drop_table('retention_deletions')
    op.drop_table('legal_holds')
