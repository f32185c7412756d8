"""staff mail: an address and notification choices per member; the digests and notices sent (once each)

Revision ID: 0006_staff_notices
Revises: 0005_attachments
Create Date: 2026-12-03 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from privacy_desk.models import UTCDateTime

revision: str = '0006_staff_notices'
down_revision: str | None = '0005_attachments'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('wants_digest', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('wants_new_ticket_notice', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        # The defaults were for existing rows; new rows get theirs from the model.
        batch_op.alter_column('wants_digest', server_default=None)
        batch_op.alter_column('wants_new_ticket_notice', server_default=None)
    op.create_table(
        'staff_digests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id']),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('staff_id', 'day', name='uq_staff_digests_staff_day'),
    )
    op.create_table(
        'staff_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id']),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ticket_id', 'staff_id', name='uq_staff_notices_ticket_staff'),
    )


def downgrade() -> None:
    op.drop_table('staff_notices')
    op.drop_table('staff_digests')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('wants_new_ticket_notice')
        batch_op.drop_column('wants_digest')
        batch_op.drop_column('email')
