"""The steps every channel shares: open a request, ask for what is missing, confirm identity, acknowledge.

A channel (chat actions, the mail poller, the staff app) turns its input into one call here and shows or sends
what comes back. Each call is one transaction: the ticket change, the audit events and the queued mail
commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from privacy_desk.db import transaction
from privacy_desk.decisions import replies_for
from privacy_desk.languages import Language
from privacy_desk.mail_out import new_message_id
from privacy_desk.models import Ticket
from privacy_desk.policy import Detail, PolicyPack, RequestKind, Topic
from privacy_desk.replies import Purpose, ReplyChannel, ReplyRenderer, reply_context
from privacy_desk.status import TicketStatus
from privacy_desk.tickets import Channel, Delivery, IncomingMessage, OutgoingMessage, TicketService, utcnow
from privacy_desk.verification import CODE_LIFETIME, CodeCheck, Verifier


@dataclass(frozen=True)
class Outcome:
    """What a step did: the ticket it touched, what to show in a chat, and which mails it queued."""

    reference: str | None
    status: TicketStatus | None
    chat_texts: list[str] = field(default_factory=list)
    queued_mail: list[int] = field(default_factory=list)
    missing: list[Detail] = field(default_factory=list)
    code_check: CodeCheck | None = None
    attempts_left: int | None = None


@dataclass(frozen=True)
class MailThread:
    """Where a mailed reply belongs: the customer's message it answers."""

    in_reply_to: str | None = None
    references: str | None = None


class Desk:
    def __init__(self, sessions: sessionmaker[Session], pack: PolicyPack, key: bytes, mail_from: str,
                 renderer: ReplyRenderer | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions = sessions
        self.pack = pack
        self.key = key
        self.mail_from = mail_from
        self.renderer = renderer or ReplyRenderer()
        self.clock = clock

    # -- steps ---------------------------------------------------------------------------------------------

    def open_request(self, *, kind: RequestKind, details: Mapping[str, str | None], channel: str,
                     language: Language, actor: str, incoming: IncomingMessage | None = None,
                     intent: str | None = None, confidence: float | None = None,
                     thread: MailThread = MailThread()) -> Outcome:
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            ticket = tickets.open_ticket(kind=kind, channel=channel, language=language, details=details,
                                         actor=actor, incoming=incoming, intent=intent, confidence=confidence)
            return self._next_step(tickets, ticket, channel, language, actor, thread)

    def add_details(self, reference: str, details: Mapping[str, str | None], *, channel: str,
                    language: Language, actor: str, incoming: IncomingMessage | None = None,
                    thread: MailThread = MailThread()) -> Outcome:
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            ticket = tickets.get(reference)
            if incoming is not None:
                tickets.add_incoming(incoming, ticket)
            before = TicketStatus(ticket.status)
            tickets.merge_details(ticket, details, actor)
            if TicketStatus(ticket.status) is before and before is not TicketStatus.AWAITING_DETAILS:
                return Outcome(ticket.reference, before)
            return self._next_step(tickets, ticket, channel, language, actor, thread)

    def check_code(self, reference: str, text: str, *, channel: str, language: Language, actor: str,
                   incoming: IncomingMessage | None = None, thread: MailThread = MailThread()) -> Outcome:
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            ticket = tickets.get(reference)
            if incoming is not None:
                tickets.add_incoming(incoming, ticket)
            result = Verifier(tickets, self.key).check(ticket, text, actor)
            if result.outcome is CodeCheck.CONFIRMED:
                step = self._next_step(tickets, ticket, channel, language, actor, thread)
                return Outcome(step.reference, step.status, step.chat_texts, step.queued_mail, step.missing,
                               CodeCheck.CONFIRMED, result.attempts_left)
            queued = []
            if result.outcome is CodeCheck.EXPIRED and ticket.email:
                queued.append(self._send_code(tickets, ticket, channel, language, actor, thread))
            return Outcome(ticket.reference, TicketStatus(ticket.status), [], queued, [], result.outcome,
                           result.attempts_left)

    def answer_by_mail(self, topic: Topic, *, to: str, language: Language, actor: str, incoming: IncomingMessage,
                       thread: MailThread = MailThread(), customer_name: str | None = None) -> Outcome:
        """A policy question by mail: the pack's answer, queued; no ticket (nothing to act on)."""
        subject, body = self.answer(topic, ReplyChannel.EMAIL, language, customer_name=customer_name,
                                    subject=incoming.subject)
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            tickets.add_incoming(incoming, None)
            message = tickets.add_reply(None, OutgoingMessage(
                channel=Channel.EMAIL, body=body, language=language, purpose=Purpose.ANSWER.value, recipient=to,
                subject=subject, message_id=new_message_id(self.mail_from), in_reply_to=thread.in_reply_to,
                references=thread.references), actor)
            return Outcome(None, None, queued_mail=[message.id])

    def record_followup(self, reference: str, incoming: IncomingMessage, actor: str) -> Outcome:
        """A customer's message on a ticket that waits for staff: kept in the thread, nothing sent."""
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            ticket = tickets.get(reference)
            message = tickets.add_incoming(incoming, ticket)
            tickets.record_event(ticket, actor, "customer_replied", {"message": message.id})
            return Outcome(ticket.reference, TicketStatus(ticket.status))

    def quarantine(self, incoming: IncomingMessage, reason: str) -> None:
        """Keep a message we cannot read, with the reason, for staff: never dropped."""
        self._keep(incoming, reason, Delivery.QUARANTINED)

    def hold_for_staff(self, incoming: IncomingMessage, reason: str, actor: str,
                       reference: str | None = None) -> None:
        """Keep a mail nobody was answered for: on its ticket when it has one, else with the reason for staff."""
        if reference is None:
            self._keep(incoming, reason, Delivery.HELD)
            return
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            ticket = tickets.get(reference)
            message = tickets.add_incoming(incoming, ticket)
            tickets.record_event(ticket, actor, "mail_kept", {"message": message.id, "reason": reason[:200]})

    def _keep(self, incoming: IncomingMessage, reason: str, state: str) -> None:
        with transaction(self.sessions) as session:
            message = TicketService(session, self.pack, self.clock).add_incoming(incoming, None)
            message.delivery_state = state
            message.last_error = reason[:500]

    def answer(self, topic: Topic, channel: ReplyChannel, language: Language, *, customer_name: str | None = None,
               subject: str | None = None) -> tuple[str | None, str]:
        context = reply_context(self.pack, language, topic=topic, customer_name=customer_name, subject=subject,
                                channel=channel)
        reply = self.renderer.render(Purpose.ANSWER, channel, language, context)
        return reply.subject, reply.body

    # -- what comes next after a change --------------------------------------------------------------------

    def _next_step(self, tickets: TicketService, ticket: Ticket, channel: str, language: Language, actor: str,
                   thread: MailThread) -> Outcome:
        status = TicketStatus(ticket.status)
        missing = tickets.missing_details(ticket)
        texts: list[str] = []
        queued: list[int] = []
        for reply in replies_for(status, channel, has_email=bool(ticket.email)):
            extra: dict[str, Any] = {}
            if reply.purpose is Purpose.ASK_DETAILS:
                extra["missing"] = missing
            if reply.purpose is Purpose.VERIFY_IDENTITY:
                extra["code_minutes"] = _minutes()
            if reply.channel is ReplyChannel.CHAT:
                texts.append(self._chat(tickets, ticket, reply.purpose, language, actor, **extra))
            elif reply.with_code:
                queued.append(self._send_code(tickets, ticket, channel, language, actor, thread))
            else:
                queued.append(self._mail(tickets, ticket, reply.purpose, language, actor, thread, **extra))
        return Outcome(ticket.reference, status, texts, queued, missing)

    def _send_code(self, tickets: TicketService, ticket: Ticket, channel: str, language: Language, actor: str,
                   thread: MailThread) -> int:
        code = Verifier(tickets, self.key).issue(ticket, channel, actor)
        return self._mail(tickets, ticket, Purpose.VERIFY_IDENTITY, language, actor, thread, code=code,
                          code_minutes=_minutes(), code_via=channel)

    def _context(self, ticket: Ticket, language: Language, channel: ReplyChannel,
                 **extra: object) -> dict[str, Any]:
        return reply_context(self.pack, language, kind=RequestKind(ticket.kind), reference=ticket.reference,
                             due=ticket.due_date, identity_confirmed=ticket.identity_confirmed_at is not None,
                             customer_name=ticket.name, channel=channel, **extra)  # type: ignore[arg-type]

    def _chat(self, tickets: TicketService, ticket: Ticket, purpose: Purpose, language: Language, actor: str,
              **extra: object) -> str:
        body = self.renderer.render(purpose, ReplyChannel.CHAT, language,
                                    self._context(ticket, language, ReplyChannel.CHAT, **extra)).body
        tickets.add_reply(ticket, OutgoingMessage(channel=Channel.CHAT, body=body, language=language,
                                                  purpose=purpose.value), actor)
        return body

    def _mail(self, tickets: TicketService, ticket: Ticket, purpose: Purpose, language: Language, actor: str,
              thread: MailThread, **extra: object) -> int:
        if not ticket.email:
            raise ValueError(f"{ticket.reference}: no email address to send {purpose.value} to")
        reply = self.renderer.render(purpose, ReplyChannel.EMAIL, language,
                                     self._context(ticket, language, ReplyChannel.EMAIL, **extra))
        message = tickets.add_reply(ticket, OutgoingMessage(
            channel=Channel.EMAIL, body=reply.body, language=language, purpose=purpose.value,
            recipient=ticket.email, subject=reply.subject, message_id=new_message_id(self.mail_from),
            in_reply_to=thread.in_reply_to, references=thread.references,
            secret=str(extra["code"]) if extra.get("code") else None), actor)
        return message.id


def _minutes() -> int:
    return int(CODE_LIFETIME.total_seconds() // 60)
