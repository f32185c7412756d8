"""staff corrections proposed as NLU training examples (masked), accepted or rejected by a person

Revision ID: 0007_corrections
Revises: 0006_staff_notices
Create Date: 2026-12-03 12:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from privacy_desk.models import UTCDateTime

revision: str = '0007_corrections'
down_revision: str | None = '0006_staff_notices'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'nlu_corrections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('intent', sa.String(length=64), nullable=False),
        sa.Column('previous_intent', sa.String(length=64), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('proposed_by', sa.String(length=120), nullable=False),
        sa.Column('decided_by', sa.String(length=120), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id']),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('nlu_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nlu_corrections_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_nlu_corrections_ticket_id'), ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_table('nlu_corrections')
