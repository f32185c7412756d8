"""What staff do to a ticket: confirm identity, ask for more, reclassify, assign, note, resolve or refuse.

Each method is one transaction: the change, its audit event (with the staff member) and any mail it queues for
the outbox commit together, or, when the state machine or the policy refuses the move, nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from privacy_desk import decisions
from privacy_desk.basis import Basis
from privacy_desk.db import transaction
from privacy_desk.errors import PrivacyDeskError
from privacy_desk.languages import Language
from privacy_desk.mail_out import new_message_id
from privacy_desk.models import Ticket
from privacy_desk.policy import Detail, PolicyPack, RequestKind
from privacy_desk.replies import Purpose, RenderedReply, ReplyChannel, ReplyRenderer, reply_context
from privacy_desk.staff import StaffAccounts
from privacy_desk.status import FINISHED_STATUSES, TicketStatus
from privacy_desk.tickets import Channel, OutgoingMessage, TicketService, utcnow

# The replies staff send, and the status each one moves the ticket to.
STAFF_REPLIES: dict[Purpose, TicketStatus] = {
    Purpose.RESOLVED: TicketStatus.RESOLVED,
    Purpose.REJECTED: TicketStatus.REJECTED,
    Purpose.ASK_DETAILS: TicketStatus.AWAITING_DETAILS,
}
# Moves staff make without writing to the customer (resolving and refusing always come with a reply).
PLAIN_MOVES = frozenset({TicketStatus.IN_PROGRESS, TicketStatus.CLOSED})
MAX_NOTE = 4000


class ReviewRefused(PrivacyDeskError):
    """Staff asked for something the policy or the ticket's state does not allow; nothing was changed."""


@dataclass(frozen=True)
class DraftReply:
    """A staff reply to preview, edit and send: which reply, and what it is about."""

    purpose: Purpose
    # A refusal ground id from the pack; without one, a rejection states staff's message as our own decision.
    ground: str | None = None
    details: tuple[Detail, ...] = ()  # the details asked for (ask_details)
    message: str | None = None  # staff's own words, added to the template


def reply_subject(subject: str, reference: str) -> str:
    """Keep the reference in the subject so the customer's answer threads to the ticket."""
    subject = " ".join(subject.split())
    return subject if reference in subject else f"[{reference}] {subject}".strip()


class Review:
    def __init__(self, sessions: sessionmaker[Session], pack: PolicyPack, mail_from: str,
                 renderer: ReplyRenderer | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions = sessions
        self.pack = pack
        self.mail_from = mail_from
        self.renderer = renderer or ReplyRenderer()
        self.clock = clock

    # -- actions without a reply ---------------------------------------------------------------------------

    def confirm_identity(self, reference: str, actor: str) -> None:
        with transaction(self.sessions) as session:
            tickets, ticket = self._ticket(session, reference)
            if ticket.identity_confirmed_at is not None:
                raise ReviewRefused(f"{ticket.reference}: identity is already confirmed")
            _refuse_if_finished(ticket)
            tickets.confirm_identity(ticket, actor, method="staff")

    def change_kind(self, reference: str, kind: RequestKind, actor: str) -> None:
        with transaction(self.sessions) as session:
            tickets, ticket = self._ticket(session, reference)
            _refuse_if_finished(ticket)
            if kind.value == ticket.kind:
                raise ReviewRefused(f"{ticket.reference} is already a {kind.value} request")
            rule = self.pack.rule(kind)
            previous = ticket.kind
            ticket.kind = kind.value
            # The new kind's own deadline, counted from when the customer asked.
            ticket.due_date = decisions.due_date(ticket.created_at, rule, self.pack.calendar)
            tickets.record_event(ticket, actor, "kind_changed", {"from": previous, "to": kind.value,
                                                                  "due_date": ticket.due_date.isoformat()})
            tickets.advance(ticket, actor)

    def assign(self, reference: str, assignee: str | None, actor: str) -> None:
        with transaction(self.sessions) as session:
            tickets, ticket = self._ticket(session, reference)
            if assignee:
                user = StaffAccounts(session, self.clock).find(assignee)
                if user is None or not user.active:
                    raise ReviewRefused(f"no active staff account {assignee!r} to assign to")
                assignee = user.username
            ticket.assignee = assignee or None
            tickets.record_event(ticket, actor, "assigned", {"to": ticket.assignee})

    def add_note(self, reference: str, text: str, actor: str) -> None:
        text = text.strip()
        if not text:
            raise ReviewRefused("an empty note was not added")
        with transaction(self.sessions) as session:
            tickets, ticket = self._ticket(session, reference)
            # The note's text may hold personal data: retention blanks it with the rest of the ticket.
            tickets.record_event(ticket, actor, "note", {"text": text[:MAX_NOTE]})

    def move(self, reference: str, status: TicketStatus, actor: str) -> None:
        if status not in PLAIN_MOVES:
            raise ReviewRefused(f"moving a ticket to {status.value} needs a reply to the customer")
        with transaction(self.sessions) as session:
            tickets, ticket = self._ticket(session, reference)
            tickets.change_status(ticket, status, actor)

    # -- replies: preview, then send -----------------------------------------------------------------------

    def preview(self, reference: str, draft: DraftReply) -> RenderedReply:
        with self.sessions() as session:
            _, ticket = self._ticket(session, reference)
            return self._render(ticket, draft)

    def send(self, reference: str, draft: DraftReply, subject: str, body: str, actor: str) -> int | None:
        """Move the ticket and queue the (possibly edited) reply; returns the queued message id, or None when
        the ticket has no email address (staff then tell the customer another way)."""
        if not body.strip():
            raise ReviewRefused("the reply is empty; nothing was sent")
        with transaction(self.sessions) as session:
            tickets, ticket = self._ticket(session, reference)
            template = self._render(ticket, draft)  # also checks the ground and the details asked for
            self._check_reply_allowed(ticket, draft)
            target = STAFF_REPLIES[draft.purpose]
            if TicketStatus(ticket.status) is not target:
                tickets.change_status(ticket, target, actor, ground=draft.ground)
            if draft.purpose is Purpose.ASK_DETAILS:
                tickets.record_event(ticket, actor, "details_requested",
                                     {"fields": [d.value for d in draft.details]})
            if not ticket.email:
                tickets.record_event(ticket, actor, "reply_not_sent", {"purpose": draft.purpose.value,
                                                                       "reason": "no email address"})
                return None
            edited = body.strip() != template.body.strip() or subject.strip() != (template.subject or "")
            in_reply_to, references = _thread_of(ticket)
            message = tickets.add_reply(ticket, OutgoingMessage(
                channel=Channel.EMAIL, body=body.replace("\r\n", "\n").strip() + "\n",
                language=Language(ticket.language), purpose=draft.purpose.value, recipient=ticket.email,
                subject=reply_subject(subject or template.subject or "", ticket.reference),
                message_id=new_message_id(self.mail_from), in_reply_to=in_reply_to, references=references),
                actor)
            tickets.record_event(ticket, actor, "staff_reply", {"purpose": draft.purpose.value,
                                                                "message": message.id, "edited": edited,
                                                                "ground": draft.ground})
            return message.id

    # -- helpers -------------------------------------------------------------------------------------------

    def _ticket(self, session: Session, reference: str) -> tuple[TicketService, Ticket]:
        tickets = TicketService(session, self.pack, self.clock)
        return tickets, tickets.get(reference)

    def _render(self, ticket: Ticket, draft: DraftReply) -> RenderedReply:
        if draft.purpose not in STAFF_REPLIES:
            raise ReviewRefused(f"staff do not send {draft.purpose.value} replies")
        kind = RequestKind(ticket.kind)
        ground = None
        if draft.purpose is Purpose.REJECTED:
            if draft.ground:
                ground = self.pack.refusal_ground(kind, draft.ground)
            elif not (draft.message or "").strip():
                raise ReviewRefused("choose a refusal ground, or write the reason for our decision")
        if draft.purpose is Purpose.ASK_DETAILS and not draft.details and not (draft.message or "").strip():
            raise ReviewRefused("say which details the customer should send")
        language = Language(ticket.language)
        context = reply_context(self.pack, language, kind=kind, reference=ticket.reference, due=ticket.due_date,
                                identity_confirmed=ticket.identity_confirmed_at is not None,
                                customer_name=ticket.name, missing=list(draft.details), ground=ground,
                                staff_message=(draft.message or "").strip() or None)
        return self.renderer.render(draft.purpose, ReplyChannel.EMAIL, language, context)

    def _check_reply_allowed(self, ticket: Ticket, draft: DraftReply) -> None:
        rule = self.pack.rule(RequestKind(ticket.kind))
        if draft.purpose is Purpose.RESOLVED and rule.needs_identity and ticket.identity_confirmed_at is None:
            whose = "the policy" if rule.identity_check.basis is Basis.POLICY else "our setting for this pack"
            raise ReviewRefused(f"{ticket.reference}: {whose} requires the customer's identity to be confirmed "
                                "before a request of this kind is carried out")


def _refuse_if_finished(ticket: Ticket) -> None:
    if TicketStatus(ticket.status) in FINISHED_STATUSES:
        raise ReviewRefused(f"{ticket.reference} is already {ticket.status}")


def _thread_of(ticket: Ticket) -> tuple[str | None, str | None]:
    """In-Reply-To and References for a reply to the customer's latest mail on this ticket, if any."""
    mails = [m for m in ticket.messages if m.direction == "in" and m.channel == Channel.EMAIL and m.message_id]
    if not mails:
        return None, None
    last = mails[-1]
    return last.message_id, " ".join(filter(None, [last.references, last.message_id]))
