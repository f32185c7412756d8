"""tickets, messages, events, mailbox state

Revision ID: 0001
Revises:
Create Date: 2026-11-23 00:34:59.607247
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import privacy_desk.models

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mailbox_state',
    sa.Column('mailbox', sa.String(length=200), nullable=False),
    sa.Column('uidvalidity', sa.Integer(), nullable=False),
    sa.Column('last_uid', sa.Integer(), nullable=False),
    sa.Column('updated_at', privacy_desk.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('mailbox')
    )
    op.create_table('ticket_sequences',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('policy', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('company', sa.String(length=200), nullable=True),
    sa.Column('division', sa.String(length=200), nullable=True),
    sa.Column('member_number', sa.String(length=64), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('intent', sa.String(length=64), nullable=True),
    sa.Column('confidence', sa.Double(), nullable=True),
    sa.Column('assignee', sa.String(length=120), nullable=True),
    sa.Column('identity_confirmed_at', privacy_desk.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('created_at', privacy_desk.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', privacy_desk.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', privacy_desk.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('anonymised_at', privacy_desk.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_status'), ['status'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', privacy_desk.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=True),
    sa.Column('in_reply_to', sa.String(length=998), nullable=True),
    sa.Column('references', sa.Text(), nullable=True),
    sa.Column('sender', sa.String(length=320), nullable=True),
    sa.Column('recipient', sa.String(length=320), nullable=True),
    sa.Column('subject', sa.String(length=998), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=True),
    sa.Column('delivery_state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', privacy_desk.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', privacy_desk.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', privacy_desk.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_outbox', ['direction', 'delivery_state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_ticket_id'))
        batch_op.drop_index('ix_messages_outbox')

    op.drop_table('messages')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_ticket_id'))

    op.drop_table('events')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_status'))
        batch_op.drop_index(batch_op.f('ix_tickets_kind'))
        batch_op.drop_index(batch_op.f('ix_tickets_email'))
        batch_op.drop_index(batch_op.f('ix_tickets_due_date'))
        batch_op.drop_index(batch_op.f('ix_tickets_channel'))

    op.drop_table('tickets')
    op.drop_table('ticket_sequences')
    op.drop_table('mailbox_state')
