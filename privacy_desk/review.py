"""What staff do to a ticket, carried out: read the ticket, plan the action (`staff_plan.py`), apply the plan.

Each method is one transaction: the change, its audit event (with the staff member) and any mail it queues for
the outbox commit together, or, when the state machine or the policy refuses the move, nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from privacy_desk import staff_plan
from privacy_desk.apply import Applier
from privacy_desk.attachments import AttachmentFile, AttachmentLimits
from privacy_desk.corrections import Corrections
from privacy_desk.db import transaction
from privacy_desk.errors import N_, ReviewRefused
from privacy_desk.messages import utcnow
from privacy_desk.plan import Assign, Plan, TicketState
from privacy_desk.policy import PolicyPack, RequestKind
from privacy_desk.replies import RenderedReply, ReplyChannel, ReplyRenderer
from privacy_desk.staff import StaffAccounts
from privacy_desk.staff_plan import DraftReply
from privacy_desk.status import TicketStatus
from privacy_desk.tickets import TicketService


class Review:
    def __init__(self, sessions: sessionmaker[Session], pack: PolicyPack, mail_from: str,
                 renderer: ReplyRenderer | None = None, clock: Callable[[], datetime] = utcnow,
                 attachment_limits: AttachmentLimits | None = None) -> None:
        self.sessions = sessions
        self.pack = pack
        self.renderer = renderer or ReplyRenderer()
        self.clock = clock
        # A file staff attach obeys the same per-file limit as a customer's.
        self.attachment_limits = attachment_limits or AttachmentLimits()
        # Staff replies carry their own text and issue no code: the applier needs no key.
        self.applier = Applier(pack, b"", mail_from, self.renderer, clock, self.attachment_limits)

    def confirm_identity(self, reference: str, actor: str) -> None:
        self._act(reference, lambda ticket: staff_plan.plan_confirm_identity(self.pack, ticket, actor))

    def change_kind(self, reference: str, kind: RequestKind, actor: str) -> int | None:
        """Reclassify the ticket; the customer's words are proposed as an example of the new kind (the id of the
        proposal, or None when the ticket holds no message from the customer)."""
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            ticket = tickets.get(reference)
            self.applier.apply(session, staff_plan.plan_change_kind(self.pack, tickets.state(ticket), kind, actor))
            proposal = Corrections(session, self.clock).propose_for_kind_change(ticket, kind, actor)
            return proposal.id if proposal else None

    def mark_misread(self, message_id: int, intent: str, actor: str) -> int:
        """A mail the classifier misread, and the intent staff say it has, proposed as a training example."""
        with transaction(self.sessions) as session:
            return Corrections(session, self.clock).propose_misread(message_id, intent, actor).id

    def add_note(self, reference: str, text: str, actor: str) -> None:
        self._act(reference, lambda ticket: staff_plan.plan_note(ticket, text, actor))

    def move(self, reference: str, status: TicketStatus, actor: str) -> None:
        self._act(reference, lambda ticket: staff_plan.plan_move(ticket, status, actor))

    def assign(self, reference: str, assignee: str | None, actor: str) -> None:
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            ticket = tickets.get(reference)
            username = None
            if assignee:
                user = StaffAccounts(session, self.clock).find(assignee)
                if user is None or not user.active:
                    raise ReviewRefused(N_("no active staff account {username!r} to assign to"), username=assignee)
                username = user.username
            self.applier.apply(session, Plan(actor, ticket.reference, (Assign(username),)))

    # -- replies: preview, then send -----------------------------------------------------------------------

    def preview(self, reference: str, draft: DraftReply) -> RenderedReply:
        with self.sessions() as session:
            tickets = TicketService(session, self.pack, self.clock)
            return self._render(tickets.state(tickets.get(reference)), draft)

    def send(self, reference: str, draft: DraftReply, subject: str, body: str, actor: str,
             files: Sequence[AttachmentFile] = ()) -> int | None:
        """Move the ticket and queue the (possibly edited) reply with staff's files; returns the queued message
        id, or None when the ticket has no email address (staff then tell the customer another way)."""
        attached = staff_plan.staff_attachments(files, self.attachment_limits)
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            ticket = tickets.get(reference)
            state = tickets.state(ticket)
            plan = staff_plan.plan_staff_reply(self.pack, state, draft, self._render(state, draft), subject=subject,
                                               body=body, thread=tickets.latest_mail_thread(ticket), actor=actor,
                                               attachments=attached)
            queued = self.applier.apply(session, plan).queued_mail
            return queued[0] if queued else None

    def _act(self, reference: str, plan_for: Callable[[TicketState], Plan]) -> None:
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            self.applier.apply(session, plan_for(tickets.state(tickets.get(reference))))

    def _render(self, ticket: TicketState, draft: DraftReply) -> RenderedReply:
        context = staff_plan.draft_context(self.pack, ticket, draft)
        return self.renderer.render(draft.purpose, ReplyChannel.EMAIL, ticket.language, context)
