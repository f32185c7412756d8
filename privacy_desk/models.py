"""The ticket store's tables as SQLAlchemy 2 typed models. Changes go through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so it is restored on the way out)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    policy: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    language: Mapped[str] = mapped_column(String(8))
    # Requester details, one column each so staff can search them and retention can blank them.
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    company: Mapped[str | None] = mapped_column(String(200))
    division: Mapped[str | None] = mapped_column(String(200))
    member_number: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(500))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None]
    assignee: Mapped[str | None] = mapped_column(String(120))
    identity_confirmed_at: Mapped[datetime | None]
    due_date: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # When the ticket was finished (resolved, rejected or closed); retention counts from here.
    closed_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]

    messages: Mapped[list[Message]] = relationship(back_populates="ticket", order_by="Message.id")
    events: Mapped[list[Event]] = relationship(back_populates="ticket", order_by="Event.id")


class Message(Base):
    """One incoming or outgoing message on any channel. Outgoing mail waits here as `queued` (the outbox)."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_outbox", "direction", "delivery_state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    message_id: Mapped[str | None] = mapped_column(String(998), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(String(320))
    recipient: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(998))
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(String(40))
    delivery_state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    ticket: Mapped[Ticket | None] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message", order_by="Attachment.id",
                                                         cascade="all, delete-orphan")


class Attachment(Base):
    """A file that came with a message, or that staff attached to a reply. A refused file (over a size limit)
    is recorded without its bytes. The bytes live in the database, so every backend keeps them with their
    message and retention removes them with the message's text."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # stored | refused
    refusal_reason: Mapped[str | None] = mapped_column(String(200))
    # Deferred: listing a ticket's files never loads their bytes.
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime]

    message: Mapped[Message] = relationship(back_populates="attachments")


class Event(Base):
    """The audit log: who did what to which ticket, when. Rows are only ever added (retention blanks the text
    of staff notes, which may hold personal data)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]

    ticket: Mapped[Ticket | None] = relationship(back_populates="events")


class TicketSequence(Base):
    """The last reference number handed out per year (PRQ-<year>-<number>)."""

    __tablename__ = "ticket_sequences"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int]


class MailboxState(Base):
    """Where the mail poller is in each mailbox: committed with the tickets it produced."""

    __tablename__ = "mailbox_state"

    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int]
    last_uid: Mapped[int]
    updated_at: Mapped[datetime]


class Verification(Base):
    """A one-time code sent to the customer's address to confirm a request comes from them.

    Only an HMAC of the code is kept here; the queued mail carries the code until it is sent, then it is blanked.
    """

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # where the customer types the code: chat | email
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    superseded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class StaffUser(Base):
    """A member of staff who may sign in to the review app. Only an argon2 hash of the password is kept."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # staff | admin
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    # Where staff mail goes (the digest, notices); none: the member gets no mail.
    email: Mapped[str | None] = mapped_column(String(320))
    wants_digest: Mapped[bool] = mapped_column(default=True)
    wants_new_ticket_notice: Mapped[bool] = mapped_column(default=False)
    # The staff app's language for this member (en, ja); None follows the browser's Accept-Language.
    locale: Mapped[str | None] = mapped_column(String(8))


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a copy of the
    database does not let anyone sign in. Logging out deletes the row."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    staff: Mapped[StaffUser] = relationship()


class StaffDigestSent(Base):
    """One row per member and company date on which their digest was queued: a restart does not send it again."""

    __tablename__ = "staff_digests"
    __table_args__ = (UniqueConstraint("staff_id", "day", name="uq_staff_digests_staff_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    day: Mapped[date] = mapped_column(Date)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))  # None: nothing was due
    created_at: Mapped[datetime]


class StaffNoticeSent(Base):
    """One row per ticket and member told of it: the notice of a new ticket goes once."""

    __tablename__ = "staff_notices"
    __table_args__ = (UniqueConstraint("ticket_id", "staff_id", name="uq_staff_notices_ticket_staff"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime]


class NluCorrection(Base):
    """A proposed training example from a staff correction: the customer's text with personal data masked, and
    the intent staff said it was. Nothing is trained on until a person accepts it (`nlu corrections`)."""

    __tablename__ = "nlu_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # kind_changed | misread
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)  # masked
    intent: Mapped[str] = mapped_column(String(64))
    previous_intent: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)  # proposed | accepted | rejected
    proposed_by: Mapped[str] = mapped_column(String(120))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    ticket: Mapped[Ticket | None] = relationship()
    message: Mapped[Message | None] = relationship()
