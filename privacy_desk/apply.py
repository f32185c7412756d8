"""Carry out a plan: the one place where a step's decisions become rows.

`Applier.apply` writes every change of a `Plan` through `TicketService` in the caller's transaction, so the
ticket change, the messages, the audit events and the queued mail commit together or not at all. It decides
nothing: which changes and which replies were decided by the planner; here a reply is only rendered (from the
ticket as the changes before it left it) and a code only generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from privacy_desk.attachments import AttachmentLimits
from privacy_desk.mail_out import new_message_id
from privacy_desk.messages import Channel, Clock, Delivery, OutgoingMessage, utcnow
from privacy_desk.models import Message, Ticket
from privacy_desk.plan import (
    AddDetails,
    Assign,
    Audit,
    CodeTried,
    ConfirmIdentity,
    KeepIncoming,
    OpenTicket,
    Plan,
    Reply,
    SetKind,
    SetStatus,
)
from privacy_desk.policy import Detail, PolicyPack
from privacy_desk.replies import Purpose, RenderedReply, ReplyChannel, ReplyRenderer, reply_context
from privacy_desk.staff_notices import DEFAULT_STAFF_APP_URL, StaffMailConfig, queue_new_ticket_notices
from privacy_desk.status import TicketStatus
from privacy_desk.tickets import TicketService
from privacy_desk.verification import CODE_LIFETIME, CodeCheck


@dataclass(frozen=True)
class Outcome:
    """What a carried-out plan left: the ticket, the lines for the chat, the mails queued, and what the plan
    reports back to its channel (details still missing, how a code was judged)."""

    reference: str | None
    status: TicketStatus | None
    chat_texts: list[str] = field(default_factory=list)
    queued_mail: list[int] = field(default_factory=list)
    missing: list[Detail] = field(default_factory=list)
    code_check: CodeCheck | None = None
    attempts_left: int | None = None


class Applier:
    def __init__(self, pack: PolicyPack, key: bytes, mail_from: str, renderer: ReplyRenderer,
                 clock: Clock = utcnow, attachment_limits: AttachmentLimits | None = None,
                 staff_app_url: str = DEFAULT_STAFF_APP_URL) -> None:
        self.pack = pack
        self.staff_mail = StaffMailConfig(mail_from, staff_app_url)
        self.key = key
        self.mail_from = mail_from
        self.renderer = renderer
        self.clock = clock
        # Quoted in a reply that tells the customer a file was not accepted.
        self.attachment_limits = attachment_limits or AttachmentLimits()

    def apply(self, session: Session, plan: Plan) -> Outcome:
        tickets = TicketService(session, self.pack, self.clock)
        ticket = tickets.get(plan.reference) if plan.reference else None
        actor = plan.actor
        texts: list[str] = []
        queued: list[int] = []
        for change in plan.changes:
            match change:
                case OpenTicket():
                    ticket = tickets.open_ticket(change, actor)
                    # Staff who asked to be told hear of it in the same transaction: never twice, never lost.
                    queue_new_ticket_notices(session, ticket, self.staff_mail, self.clock())
                case KeepIncoming():
                    self._keep(tickets, ticket, change, actor)
                case Reply():
                    message = self._reply(tickets, ticket, change, actor)
                    if message.channel == Channel.CHAT:
                        texts.append(message.body)
                    else:
                        queued.append(message.id)
                case _:
                    self._change(tickets, _needs(ticket, change), change, actor)
        return Outcome(ticket.reference if ticket else None, TicketStatus(ticket.status) if ticket else None,
                       texts, queued, list(plan.missing), plan.code_check, plan.attempts_left)

    @staticmethod
    def _change(tickets: TicketService, ticket: Ticket, change: object, actor: str) -> None:
        match change:
            case AddDetails():
                tickets.add_details(ticket, change.fields, actor)
            case SetStatus():
                tickets.change_status(ticket, change.to, actor, **change.details)
            case ConfirmIdentity():
                tickets.confirm_identity(ticket, actor, change.method)
            case CodeTried():
                tickets.record_code_try(ticket, change, actor)
            case SetKind():
                tickets.change_kind(ticket, change.kind, change.due_date, actor)
            case Assign():
                tickets.assign(ticket, change.assignee, actor)
            case Audit():
                tickets.record_event(ticket, actor, change.action, change.details)
            case _:
                raise TypeError(f"no way to apply {change!r}")

    @staticmethod
    def _keep(tickets: TicketService, ticket: Ticket | None, keep: KeepIncoming, actor: str) -> None:
        message = tickets.add_incoming(keep.message, ticket if keep.on_ticket else None)
        if keep.delivery is not Delivery.RECEIVED:
            message.delivery_state = keep.delivery
            message.last_error = (keep.reason or "")[:500] or None
        if keep.event:
            details: dict[str, object] = {"message": message.id}
            if keep.reason:
                details["reason"] = keep.reason[:200]
            tickets.record_event(ticket if keep.on_ticket else None, actor, keep.event, details)

    def _reply(self, tickets: TicketService, ticket: Ticket | None, reply: Reply, actor: str) -> Message:
        if reply.channel is ReplyChannel.CHAT:
            body = self._render(tickets, ticket, reply).body
            return tickets.add_reply(ticket, OutgoingMessage(channel=Channel.CHAT, body=body, language=reply.language,
                                                             purpose=reply.purpose.value), actor)
        recipient = reply.recipient or (ticket.email if ticket else None)
        if not recipient:
            where = ticket.reference if ticket else "a reply without a ticket"
            raise ValueError(f"{where}: no email address to send {reply.purpose.value} to")
        code = None
        if reply.with_code:
            if not self.key:
                raise ValueError("this applier has no key to issue a one-time code with")
            code = tickets.issue_code(_needs(ticket, reply), reply.code_via, self.key, actor)
        rendered = (RenderedReply(reply.written.subject, reply.written.body) if reply.written
                    else self._render(tickets, ticket, reply, code))
        message = tickets.add_reply(ticket, OutgoingMessage(
            channel=Channel.EMAIL, body=rendered.body, language=reply.language, purpose=reply.purpose.value,
            recipient=recipient, subject=rendered.subject, message_id=new_message_id(self.mail_from),
            in_reply_to=reply.thread.in_reply_to, references=reply.thread.references, secret=code,
            attachments=reply.attachments), actor)
        if reply.event is not None:
            tickets.record_event(ticket, actor, reply.event.action, {**reply.event.details, "message": message.id})
        return message

    def _render(self, tickets: TicketService, ticket: Ticket | None, reply: Reply,
                code: str | None = None) -> RenderedReply:
        minutes = int(CODE_LIFETIME.total_seconds() // 60) if reply.purpose is Purpose.VERIFY_IDENTITY else None
        if ticket is None:
            context = reply_context(self.pack, reply.language, topic=reply.topic, customer_name=reply.customer_name,
                                    subject=reply.original_subject, channel=reply.channel,
                                    refused_files=reply.refused_files, attachment_limits=self.attachment_limits)
        else:
            context = tickets.state(ticket).reply_context(
                self.pack, reply.channel, missing=list(reply.missing), code=code, code_minutes=minutes,
                code_via=reply.code_via, refused_files=reply.refused_files,
                attachment_limits=self.attachment_limits)
        return self.renderer.render(reply.purpose, reply.channel, reply.language, context)


def _needs(ticket: Ticket | None, change: object) -> Ticket:
    if ticket is None:
        raise ValueError(f"{type(change).__name__} needs a ticket, and the plan has none")
    return ticket
