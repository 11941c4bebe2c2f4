"""recording and replay: session events, leg recordings, session summaries, face boxes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('score_samples', schema=None) as batch_op:
        batch_op.add_column(sa.Column('box', sa.JSON(), nullable=True))

    op.create_table('session_events',
    sa.Column('id', _big_id(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('leg_number', sa.Integer(), nullable=False),
    sa.Column('t', sa.Float(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['review_sessions.id'], name=op.f('fk_session_events_session_id_review_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_events'))
    )
    op.create_index('ix_session_events_session_t', 'session_events', ['session_id', 't'], unique=False)

    op.create_table('leg_recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('leg_number', sa.Integer(), nullable=False),
    sa.Column('directory', sa.String(length=500), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('offset', sa.Float(), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('duration', sa.Float(), nullable=True),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('bytes_written', sa.BigInteger(), nullable=False),
    sa.Column('frames_dropped', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['review_sessions.id'], name=op.f('fk_leg_recordings_session_id_review_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leg_recordings'))
    )
    op.create_index('uq_leg_recordings_session_leg', 'leg_recordings', ['session_id', 'leg_number'], unique=True)

    op.create_table('session_summaries',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('applicant_name', sa.String(length=200), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_name', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration', sa.Float(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('original_outcome', sa.String(length=30), nullable=True),
    sa.Column('amended', sa.Boolean(), nullable=False),
    sa.Column('reason_codes', sa.String(length=400), nullable=False),
    sa.Column('lowest_similarity', sa.Float(), nullable=True),
    sa.Column('best_similarity', sa.Float(), nullable=True),
    sa.Column('flags', sa.Integer(), nullable=False),
    sa.Column('legs', sa.Integer(), nullable=False),
    sa.Column('has_recording', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['review_sessions.id'], name=op.f('fk_session_summaries_session_id_review_sessions')),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_session_summaries'))
    )
    op.create_index('ix_session_summaries_started', 'session_summaries', ['started_at', 'outcome', 'flags', 'lowest_similarity', 'reviewer_id', 'amended', 'reason_codes'], unique=False)
    op.create_index('ix_session_summaries_reviewer_started', 'session_summaries', ['reviewer_id', 'started_at'], unique=False)
    op.create_index('ix_session_summaries_outcome_started', 'session_summaries', ['outcome', 'started_at', 'reason_codes', 'flags', 'lowest_similarity', 'amended'], unique=False)
    op.create_index('ix_session_summaries_lowest', 'session_summaries', ['lowest_similarity'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_session_summaries_lowest', table_name='session_summaries')
    op.drop_index('ix_session_summaries_outcome_started', table_name='session_summaries')
    op.drop_index('ix_session_summaries_reviewer_started', table_name='session_summaries')
    op.drop_index('ix_session_summaries_started', table_name='session_summaries')
    op.drop_table('session_summaries')
    op.drop_index('uq_leg_recordings_session_leg', table_name='leg_recordings')
    op.drop_table('leg_recordings')
    op.drop_index('ix_session_events_session_t', table_name='session_events')
    op.drop_table('session_events')
    with op.batch_alter_table('score_samples', schema=None) as batch_op:
        batch_op.drop_column('box')
