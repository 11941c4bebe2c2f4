"""recording store: recording files kept in the shared database

Revision ID: 0006_recording_store
Revises: 0005_workflow
Create Date: 2026-11-29 21:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006_recording_store'
down_revision = '0005_workflow'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recording_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('directory', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recording_files'))
    )
    op.create_index('uq_recording_files_directory_name', 'recording_files', ['directory', 'name'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_recording_files_directory_name', table_name='recording_files')
    op.drop_table('recording_files')
