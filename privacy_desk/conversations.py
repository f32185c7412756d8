"""Chat conversations as Rasa's SQL tracker store keeps them in our database: only what retention needs.

Rasa owns the table ("events": one row per event, the visitor's words and the form's answers among them) and
creates it when it first starts; we never write to it, and only remove whole conversations.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, delete, func, inspect, select
from sqlalchemy.orm import Session

conversation_events = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("timestamp", Float),  # seconds since the epoch, as Rasa writes it
)


def idle_conversations(session: Session, before: datetime) -> list[str]:
    """The conversations whose last event is older than `before` (none while Rasa has not made its table)."""
    if not inspect(session.connection()).has_table(conversation_events.name):
        return []
    sender = conversation_events.c.sender_id
    return list(session.scalars(select(sender).group_by(sender)
                                .having(func.max(conversation_events.c.timestamp) < before.timestamp())))


def forget_conversations(session: Session, conversations: list[str]) -> None:
    for start in range(0, len(conversations), 500):  # bounded IN lists
        session.execute(delete(conversation_events).where(
            conversation_events.c.sender_id.in_(conversations[start:start + 500])))
