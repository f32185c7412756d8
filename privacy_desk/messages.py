"""The vocabulary of messages: the channels, the delivery states, a message as it arrives or leaves, the clock.

Plain data only: the ticket store, the plans and every channel share these words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from privacy_desk.attachments import AdmittedFile
from privacy_desk.languages import Language

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Channel(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    STAFF = "staff"


class Delivery(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SHOWN = "shown"  # a chat reply: delivered in the conversation, nothing to send
    QUARANTINED = "quarantined"  # could not be read or processed
    HELD = "held"  # read, not answered automatically: kept for staff with the reason


@dataclass(frozen=True)
class MailThread:
    """Where a mailed reply belongs: In-Reply-To and References for an answer to one customer mail."""

    in_reply_to: str | None = None
    references: str | None = None

    @classmethod
    def answering(cls, message_id: str | None, references: str | None) -> MailThread:
        """RFC 5322 3.6.4: the parent's References (or its In-Reply-To), then the parent's own Message-ID."""
        if not message_id:
            return cls()
        return cls(message_id, " ".join(filter(None, [references, message_id])))


@dataclass(frozen=True)
class IncomingMessage:
    channel: str
    body: str
    language: Language
    sender: str | None = None
    subject: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    attachments: tuple[AdmittedFile, ...] = ()  # each stored or refused, decided by attachments.admit

    @property
    def thread(self) -> MailThread:
        return MailThread.answering(self.message_id, self.references or self.in_reply_to)


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    body: str
    language: Language
    purpose: str
    recipient: str | None = None
    subject: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    # A secret the mail carries (a one-time code): blanked in the stored copy once the mail is sent.
    secret: str | None = None
    attachments: tuple[AdmittedFile, ...] = ()  # files staff attached, sent as MIME attachments
