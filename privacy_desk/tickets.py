"""The ticket service: every change to tickets, messages and the audit log goes through here.

The service takes a session and never commits: the caller wraps one unit of work in `db.transaction(...)`, so
a ticket, its first message, its audit event and its queued reply (and, for mail, the mailbox position) are
committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from privacy_desk import decisions
from privacy_desk.attachments import AdmittedFile
from privacy_desk.errors import N_, TicketNotFound
from privacy_desk.languages import Language
from privacy_desk.messages import Channel, Clock, Delivery, IncomingMessage, MailThread, OutgoingMessage, utcnow
from privacy_desk.models import Attachment, Event, Message, Ticket, TicketSequence, Verification
from privacy_desk.plan import CodeTried, OpenTicket, PendingCode, TicketState
from privacy_desk.policy import Detail, PolicyPack, RequestKind
from privacy_desk.status import ACTIVE_STATUSES, FINISHED_STATUSES, TicketStatus, check_transition
from privacy_desk.verification import CODE_LIFETIME, CodeCheck, code_digest, new_code


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

    def open_ticket(self, opening: OpenTicket, actor: str) -> Ticket:
        now = self.clock()
        ticket = Ticket(
            reference=self._next_reference(now.year), policy=self.pack.id, kind=opening.kind.value,
            status=opening.status.value, channel=opening.channel, language=opening.language.value,
            intent=opening.intent, confidence=opening.confidence, due_date=opening.due_date,
            created_at=now, updated_at=now, **{d.value: v for d, v in opening.details.items()},
        )
        self.session.add(ticket)
        self.session.flush()
        self.record_event(ticket, actor, "opened", {
            "kind": opening.kind.value, "channel": opening.channel, "status": ticket.status,
            "details_given": sorted(d.value for d in opening.details), "intent": opening.intent,
            "confidence": opening.confidence,
        })
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
            raise TicketNotFound(N_("no ticket {reference!r}"), reference=reference)
        return ticket

    def find(self, reference: str) -> Ticket | None:
        return self.session.scalar(select(Ticket).where(Ticket.reference == reference.strip().upper()))

    def list_tickets(self, where: TicketFilter = TicketFilter(), limit: int = 50, offset: int = 0) -> list[Ticket]:
        return list(self.session.scalars(self._filtered(where).order_by(Ticket.due_date, Ticket.id)
                                         .limit(limit).offset(offset)))

    def count_tickets(self, where: TicketFilter = TicketFilter()) -> int:
        return self.session.scalar(self._filtered(where).with_only_columns(func.count(Ticket.id))) or 0

    def status_counts(self, today: date) -> list[tuple[str, int, int]]:
        """(status, tickets, of which overdue on `today`) for each status that has tickets: one query."""
        active = [s.value for s in ACTIVE_STATUSES]
        overdue = func.sum(case((and_(Ticket.due_date < today, Ticket.status.in_(active)), 1), else_=0))
        rows = self.session.execute(select(Ticket.status, func.count(Ticket.id), overdue).group_by(Ticket.status))
        return [(status, int(count), int(late or 0)) for status, count, late in rows]

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
        self._attach(message, incoming.attachments)
        self.session.add(message)
        self.session.flush()
        return message

    def _attach(self, message: Message, files: tuple[AdmittedFile, ...]) -> None:
        for f in files:
            message.attachments.append(Attachment(
                filename=f.filename, content_type=f.content_type, size=f.size, sha256=f.sha256, status=f.status,
                refusal_reason=f.refusal.value if f.refusal else None, data=f.data, created_at=self.clock()))

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
        self._attach(message, reply.attachments)
        self.session.add(message)
        self.session.flush()
        if ticket is not None:
            self.record_event(ticket, actor, "reply_queued" if queued else "reply_shown",
                              {"purpose": reply.purpose, "channel": reply.channel, "message": message.id,
                               **({"attachments": [a.id for a in message.attachments]} if reply.attachments else {})})
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

    def add_details(self, ticket: Ticket, fields: Mapping[Detail, str], actor: str) -> None:
        for detail, value in fields.items():
            setattr(ticket, detail.value, value)
        self.record_event(ticket, actor, "details_added", {"fields": [d.value for d in fields]})

    def confirm_identity(self, ticket: Ticket, actor: str, method: str) -> None:
        if ticket.identity_confirmed_at is None:
            ticket.identity_confirmed_at = self.clock()
            self.record_event(ticket, actor, "identity_confirmed", {"method": method})

    def change_kind(self, ticket: Ticket, kind: RequestKind, due: date, actor: str) -> None:
        previous = ticket.kind
        ticket.kind, ticket.due_date = kind.value, due
        self.record_event(ticket, actor, "kind_changed", {"from": previous, "to": kind.value,
                                                          "due_date": due.isoformat()})

    def assign(self, ticket: Ticket, assignee: str | None, actor: str) -> None:
        ticket.assignee = assignee
        self.record_event(ticket, actor, "assigned", {"to": assignee})

    # -- one-time codes: only their HMAC is stored --------------------------------------------------------------

    def issue_code(self, ticket: Ticket, channel: str, key: bytes, actor: str) -> str:
        """A fresh code for the ticket (older ones stop working). The caller mails it in the same transaction."""
        now = self.clock()
        self.session.execute(update(Verification).where(Verification.ticket_id == ticket.id,
                                                        Verification.confirmed_at.is_(None))
                             .values(superseded=True))
        code = new_code()
        self.session.add(Verification(ticket_id=ticket.id, channel=channel, attempts=0, superseded=False,
                                      code_hash=code_digest(key, ticket.id, code),
                                      expires_at=now + CODE_LIFETIME, created_at=now))
        self.record_event(ticket, actor, "verification_sent", {"channel": channel})
        return code

    def _outstanding_code(self, ticket: Ticket) -> Verification | None:
        return self.session.scalar(select(Verification).where(
            Verification.ticket_id == ticket.id, Verification.superseded.is_(False),
            Verification.confirmed_at.is_(None)).order_by(Verification.id.desc()).limit(1))

    def pending_code(self, ticket: Ticket) -> PendingCode | None:
        pending = self._outstanding_code(ticket)
        if pending is None:
            return None
        return PendingCode(pending.code_hash, pending.attempts, pending.expires_at, pending.channel)

    def record_code_try(self, ticket: Ticket, tried: CodeTried, actor: str) -> None:
        pending = self._outstanding_code(ticket)
        if pending is None:
            raise ValueError(f"{ticket.reference}: no code outstanding to record a try on")
        if tried.counted:
            pending.attempts += 1
        if tried.outcome is CodeCheck.CONFIRMED:
            pending.confirmed_at = self.clock()
        else:
            self.record_event(ticket, actor, "verification_failed", {"outcome": tried.outcome.value})

    # -- the ticket as plain data, for the planners ------------------------------------------------------------

    @staticmethod
    def given_details(ticket: Ticket) -> dict[Detail, str]:
        return {d: value for d in Detail if (value := getattr(ticket, d.value))}

    def state(self, ticket: Ticket) -> TicketState:
        return TicketState(
            reference=ticket.reference, kind=RequestKind(ticket.kind), status=TicketStatus(ticket.status),
            language=Language(ticket.language), channel=ticket.channel, details=self.given_details(ticket),
            identity_confirmed=ticket.identity_confirmed_at is not None, due_date=ticket.due_date,
            created_at=ticket.created_at, name=ticket.name)

    def latest_mail_thread(self, ticket: Ticket) -> MailThread:
        """Where a reply to the customer's latest mail on this ticket belongs (no mail: a new thread)."""
        last = self.session.scalar(select(Message).where(
            Message.ticket_id == ticket.id, Message.direction == "in", Message.channel == Channel.EMAIL,
            Message.message_id.is_not(None)).order_by(Message.id.desc()).limit(1))
        if last is None:
            return MailThread()
        return MailThread.answering(last.message_id, last.references or last.in_reply_to)

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
        return decisions.missing_details(self.pack.rule(RequestKind(ticket.kind)), self.given_details(ticket))
