"""The ticket service: every change to tickets, messages and the audit log goes through here.

The service takes a session and never commits: the caller wraps one unit of work in `db.transaction(...)`, so
a ticket, its first message, its audit event and its queued reply (and, for mail, the mailbox position) are
committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from privacy_desk import decisions
from privacy_desk.errors import TicketNotFound
from privacy_desk.languages import Language
from privacy_desk.models import Event, Message, Ticket, TicketSequence
from privacy_desk.policy import Detail, PolicyPack, RequestKind
from privacy_desk.status import ACTIVE_STATUSES, FINISHED_STATUSES, TicketStatus, check_transition

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Channel:
    CHAT = "chat"
    EMAIL = "email"
    STAFF = "staff"


class Delivery:
    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SHOWN = "shown"  # a chat reply: delivered in the conversation, nothing to send
    QUARANTINED = "quarantined"  # could not be read or processed
    HELD = "held"  # read, not answered automatically: kept for staff with the reason


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


@dataclass(frozen=True)
class TicketFilter:
    status: TicketStatus | None = None
    kind: RequestKind | None = None
    channel: str | None = None
    overdue_on: date | None = None
    search: str | None = None
    active_only: bool = False  # only tickets someone still has to act on


def add_event(session: Session, ticket: Ticket | None, actor: str, action: str, details: Mapping[str, Any],
              at: datetime) -> Event:
    """One audit event (tickets, staff accounts, exports, retention all write through here)."""
    # Audit details name fields and ids, never the personal values themselves.
    event = Event(ticket=ticket, actor=actor[:120], action=action, details=dict(details), created_at=at)
    session.add(event)
    return event


class TicketService:
    def __init__(self, session: Session, pack: PolicyPack, clock: Clock = utcnow) -> None:
        self.session = session
        self.pack = pack
        self.clock = clock

    # -- opening and finding -------------------------------------------------------------------------------

    def open_ticket(
        self,
        *,
        kind: RequestKind,
        channel: str,
        language: Language,
        details: Mapping[str, str | None],
        actor: str,
        incoming: IncomingMessage | None = None,
        intent: str | None = None,
        confidence: float | None = None,
        identity_confirmed: bool = False,
    ) -> Ticket:
        rule = self.pack.rule(kind)
        now = self.clock()
        given = decisions.clean_details(details)
        ticket = Ticket(
            reference=self._next_reference(now.year),
            policy=self.pack.id,
            kind=kind.value,
            status=decisions.status_for(rule, {d.value: v for d, v in given.items()}, identity_confirmed).value,
            channel=channel,
            language=language.value,
            intent=intent,
            confidence=confidence,
            identity_confirmed_at=now if identity_confirmed else None,
            due_date=decisions.due_date(now, rule, self.pack.calendar),
            created_at=now,
            updated_at=now,
            **{d.value: v for d, v in given.items()},
        )
        self.session.add(ticket)
        self.session.flush()
        self.record_event(ticket, actor, "opened", {
            "kind": kind.value, "channel": channel, "status": ticket.status,
            "details_given": sorted(d.value for d in given), "intent": intent, "confidence": confidence,
        })
        if identity_confirmed:
            self.record_event(ticket, actor, "identity_confirmed", {"method": "before_opening"})
        if incoming is not None:
            self.add_incoming(incoming, ticket)
        return ticket

    def _next_reference(self, year: int) -> str:
        # UPDATE ... RETURNING takes the row lock (PostgreSQL) or the write lock (SQLite) first, so two
        # writers never hand out the same number.
        number = self.session.execute(
            update(TicketSequence).where(TicketSequence.year == year)
            .values(last_number=TicketSequence.last_number + 1).returning(TicketSequence.last_number)
        ).scalar_one_or_none()
        if number is None:
            self.session.add(TicketSequence(year=year, last_number=1))
            self.session.flush()
            number = 1
        return decisions.format_reference(year, number)

    def get(self, reference: str) -> Ticket:
        ticket = self.session.scalar(select(Ticket).where(Ticket.reference == reference.strip().upper()))
        if ticket is None:
            raise TicketNotFound(f"no ticket {reference!r}")
        return ticket

    def find(self, reference: str) -> Ticket | None:
        return self.session.scalar(select(Ticket).where(Ticket.reference == reference.strip().upper()))

    def list_tickets(self, where: TicketFilter = TicketFilter(), limit: int = 50, offset: int = 0) -> list[Ticket]:
        return list(self.session.scalars(self._filtered(where).order_by(Ticket.due_date, Ticket.id)
                                         .limit(limit).offset(offset)))

    def count_tickets(self, where: TicketFilter = TicketFilter()) -> int:
        return self.session.scalar(self._filtered(where).with_only_columns(func.count(Ticket.id))) or 0

    @staticmethod
    def _filtered(where: TicketFilter):  # type: ignore[no-untyped-def]
        query = select(Ticket)
        if where.status is not None:
            query = query.where(Ticket.status == where.status.value)
        if where.active_only:
            query = query.where(Ticket.status.in_([s.value for s in ACTIVE_STATUSES]))
        if where.kind is not None:
            query = query.where(Ticket.kind == where.kind.value)
        if where.channel is not None:
            query = query.where(Ticket.channel == where.channel)
        if where.overdue_on is not None:
            query = query.where(Ticket.due_date < where.overdue_on,
                                Ticket.status.in_([s.value for s in ACTIVE_STATUSES]))
        if where.search:
            term = where.search.strip()
            query = query.where(or_(Ticket.reference == term.upper(), func.lower(Ticket.email) == term.lower()))
        return query

    # -- messages and the audit log ------------------------------------------------------------------------

    def add_incoming(self, incoming: IncomingMessage, ticket: Ticket | None) -> Message:
        message = Message(
            ticket=ticket, direction="in", channel=incoming.channel, language=incoming.language.value,
            message_id=incoming.message_id, in_reply_to=incoming.in_reply_to, references=incoming.references,
            sender=incoming.sender, subject=incoming.subject, body=incoming.body,
            delivery_state=Delivery.RECEIVED, attempts=0, created_at=self.clock(), meta=dict(incoming.meta),
        )
        self.session.add(message)
        self.session.flush()
        return message

    def add_reply(self, ticket: Ticket | None, reply: OutgoingMessage, actor: str) -> Message:
        """Record a reply: mail is queued for the outbox worker; a chat reply is recorded as shown."""
        now = self.clock()
        queued = reply.channel == Channel.EMAIL
        message = Message(
            ticket=ticket, direction="out", channel=reply.channel, language=reply.language.value,
            message_id=reply.message_id, in_reply_to=reply.in_reply_to, references=reply.references,
            recipient=reply.recipient, subject=reply.subject, body=reply.body, purpose=reply.purpose,
            delivery_state=Delivery.QUEUED if queued else Delivery.SHOWN, attempts=0,
            next_attempt_at=now if queued else None, created_at=now,
            meta={"secret": reply.secret} if reply.secret else {},
        )
        self.session.add(message)
        self.session.flush()
        if ticket is not None:
            self.record_event(ticket, actor, "reply_queued" if queued else "reply_shown",
                              {"purpose": reply.purpose, "channel": reply.channel, "message": message.id})
        return message

    def record_event(self, ticket: Ticket | None, actor: str, action: str, details: Mapping[str, Any]) -> Event:
        event = add_event(self.session, ticket, actor, action, details, self.clock())
        if ticket is not None:
            ticket.updated_at = event.created_at
        self.session.flush()
        return event

    # -- changes -------------------------------------------------------------------------------------------

    def change_status(self, ticket: Ticket, new: TicketStatus, actor: str, **details: Any) -> None:
        current = TicketStatus(ticket.status)
        check_transition(current, new)
        ticket.status = new.value
        # Retention counts from when the customer's matter was finished; reopening stops that clock.
        if new in FINISHED_STATUSES:
            ticket.closed_at = ticket.closed_at if current in FINISHED_STATUSES else self.clock()
        else:
            ticket.closed_at = None
        self.record_event(ticket, actor, "status_changed", {"from": current.value, "to": new.value, **details})

    def merge_details(self, ticket: Ticket, details: Mapping[str, str | None], actor: str) -> list[Detail]:
        """Fill in details the ticket lacks (never overwrite silently); returns the ones added."""
        added = [d for d, v in decisions.clean_details(details).items() if not getattr(ticket, d.value)]
        for detail in added:
            setattr(ticket, detail.value, decisions.clean_details(details)[detail])
        if added:
            self.record_event(ticket, actor, "details_added", {"fields": [d.value for d in added]})
        # Even with nothing new, the customer answered: staff may have asked for something beyond the pack.
        self.advance(ticket, actor)
        return added

    def confirm_identity(self, ticket: Ticket, actor: str, method: str) -> None:
        if ticket.identity_confirmed_at is None:
            ticket.identity_confirmed_at = self.clock()
            self.record_event(ticket, actor, "identity_confirmed", {"method": method})
        self.advance(ticket, actor)

    def advance(self, ticket: Ticket, actor: str) -> None:
        """Move a waiting ticket on once what it waits for has arrived (details, then identity)."""
        current = TicketStatus(ticket.status)
        if current not in {TicketStatus.AWAITING_DETAILS, TicketStatus.AWAITING_VERIFICATION}:
            return
        target = decisions.status_for(self.pack.rule(RequestKind(ticket.kind)), self.details_of(ticket),
                                      ticket.identity_confirmed_at is not None)
        if target is not current:
            self.change_status(ticket, target, actor)

    @staticmethod
    def details_of(ticket: Ticket) -> dict[str, str | None]:
        return {d.value: getattr(ticket, d.value) for d in Detail}

    # -- mail threading and flood control -------------------------------------------------------------------

    def message_seen(self, message_id: str) -> bool:
        return self.session.scalar(select(Message.id).where(Message.message_id == message_id)) is not None

    def ticket_for_message_ids(self, message_ids: list[str]) -> Ticket | None:
        """The ticket whose thread holds one of these Message-IDs (newest first), if any."""
        if not message_ids:
            return None
        return self.session.scalar(select(Ticket).join(Message, Message.ticket_id == Ticket.id)
                                   .where(Message.message_id.in_(message_ids), Message.ticket_id.is_not(None))
                                   .order_by(Message.id.desc()).limit(1))

    def replies_sent_to(self, address: str, since: datetime) -> int:
        return self.session.scalar(select(func.count(Message.id)).where(
            Message.direction == "out", func.lower(Message.recipient) == address.lower(),
            Message.created_at >= since)) or 0

    def missing_details(self, ticket: Ticket) -> list[Detail]:
        return decisions.missing_details(self.pack.rule(RequestKind(ticket.kind)), self.details_of(ticket))
