"""What staff do to a ticket, as plans: confirm identity, reclassify, assign, note, move, reply.

Pure: each function takes the ticket as it stands (and, for a reply, the text staff send) and returns a `Plan`,
or raises `ReviewRefused` / `IllegalTransition` when the policy or the ticket's state does not allow the move,
before anything is written. `review.Review` reads the facts and carries the plans out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from privacy_desk import decisions
from privacy_desk.attachments import (
    AdmittedFile,
    AttachmentFile,
    AttachmentLimits,
    Refusal,
    admit,
    describe_limit,
)
from privacy_desk.basis import Basis
from privacy_desk.errors import N_, ReviewRefused
from privacy_desk.messages import MailThread
from privacy_desk.plan import Audit, Change, ConfirmIdentity, Plan, Reply, SetKind, SetStatus, TicketState, Written
from privacy_desk.policy import Detail, PolicyPack, RequestKind
from privacy_desk.replies import Purpose, RenderedReply, ReplyChannel
from privacy_desk.status import FINISHED_STATUSES, TicketStatus, check_transition

# The replies staff send, and the status each one moves the ticket to.
STAFF_REPLIES: dict[Purpose, TicketStatus] = {
    Purpose.RESOLVED: TicketStatus.RESOLVED,
    Purpose.REJECTED: TicketStatus.REJECTED,
    Purpose.ASK_DETAILS: TicketStatus.AWAITING_DETAILS,
}
# Moves staff make without writing to the customer (resolving and refusing always come with a reply).
PLAIN_MOVES = frozenset({TicketStatus.IN_PROGRESS, TicketStatus.CLOSED})
MAX_NOTE = 4000


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


def plan_confirm_identity(pack: PolicyPack, ticket: TicketState, actor: str) -> Plan:
    if ticket.identity_confirmed:
        raise ReviewRefused(N_("{reference}: identity is already confirmed"), reference=ticket.reference)
    _refuse_if_finished(ticket)
    target = decisions.advanced_status(pack.rule(ticket.kind), ticket.status, ticket.details, True)
    return Plan(actor, ticket.reference, (ConfirmIdentity("staff"), *_moved(ticket, target)))


def plan_change_kind(pack: PolicyPack, ticket: TicketState, kind: RequestKind, actor: str) -> Plan:
    _refuse_if_finished(ticket)
    if kind is ticket.kind:
        raise ReviewRefused(N_("{reference} is already a {kind} request"), reference=ticket.reference, kind=kind)
    rule = pack.rule(kind)
    # The new kind's own deadline, counted from when the customer asked.
    due = decisions.due_date(ticket.created_at, rule, pack.calendar)
    target = decisions.advanced_status(rule, ticket.status, ticket.details, ticket.identity_confirmed)
    return Plan(actor, ticket.reference, (SetKind(kind, due), *_moved(ticket, target)))


def plan_note(ticket: TicketState, text: str, actor: str) -> Plan:
    text = text.strip()
    if not text:
        raise ReviewRefused(N_("an empty note was not added"))
    # The note's text may hold personal data: retention blanks it with the rest of the ticket.
    return Plan(actor, ticket.reference, (Audit("note", {"text": text[:MAX_NOTE]}),))


def plan_move(ticket: TicketState, status: TicketStatus, actor: str) -> Plan:
    if status not in PLAIN_MOVES:
        raise ReviewRefused(N_("moving a ticket to {status} needs a reply to the customer"), status=status)
    check_transition(ticket.status, status)
    return Plan(actor, ticket.reference, (SetStatus(status),))


def draft_context(pack: PolicyPack, ticket: TicketState, draft: DraftReply) -> dict[str, Any]:
    """What the draft's template sees; refuses a draft that names no ground, reason or detail where one is needed."""
    if draft.purpose not in STAFF_REPLIES:
        raise ReviewRefused(N_("staff do not send {purpose} replies"), purpose=draft.purpose)
    ground = None
    message = (draft.message or "").strip() or None
    if draft.purpose is Purpose.REJECTED:
        if draft.ground:
            ground = pack.refusal_ground(ticket.kind, draft.ground)
        elif message is None:
            raise ReviewRefused(N_("choose a refusal ground, or write the reason for our decision"))
    if draft.purpose is Purpose.ASK_DETAILS and not draft.details and message is None:
        raise ReviewRefused(N_("say which details the customer should send"))
    return ticket.reply_context(pack, ReplyChannel.EMAIL, missing=list(draft.details), ground=ground,
                                staff_message=message)


def staff_attachments(files: Sequence[AttachmentFile], limits: AttachmentLimits) -> tuple[AdmittedFile, ...]:
    """Staff's files for a reply, under the same limits as a customer's; a file that is empty or over a limit
    refuses the whole reply (nothing is sent, and staff are told which file and why)."""
    admitted = admit(files, limits)
    for f in admitted:
        if f.refusal is Refusal.FILE_TOO_LARGE:
            raise ReviewRefused(N_("{filename} is larger than the {limit} a file may have; nothing was sent"),
                                filename=f.filename, limit=describe_limit(limits.max_bytes))
        if f.refusal is Refusal.MAIL_TOO_LARGE:
            raise ReviewRefused(N_("the files together are larger than the {limit} a mail may carry; nothing was "
                                   "sent"), limit=describe_limit(limits.mail_max_bytes))
        if f.size == 0:
            raise ReviewRefused(N_("{filename} is empty; nothing was sent"), filename=f.filename)
    return tuple(admitted)


def plan_staff_reply(pack: PolicyPack, ticket: TicketState, draft: DraftReply, template: RenderedReply, *,
                     subject: str, body: str, thread: MailThread, actor: str,
                     attachments: tuple[AdmittedFile, ...] = ()) -> Plan:
    """Move the ticket and queue the (possibly edited) reply; with no address, only record why nothing went."""
    if not body.strip():
        raise ReviewRefused(N_("the reply is empty; nothing was sent"))
    draft_context(pack, ticket, draft)  # the same checks as the preview
    rule = pack.rule(ticket.kind)
    if draft.purpose is Purpose.RESOLVED and rule.needs_identity and not ticket.identity_confirmed:
        if rule.identity_check.basis is Basis.POLICY:
            raise ReviewRefused(N_("{reference}: the policy requires the customer's identity to be confirmed "
                                   "before a request of this kind is carried out"), reference=ticket.reference)
        raise ReviewRefused(N_("{reference}: our setting for this pack requires the customer's identity to be "
                               "confirmed before a request of this kind is carried out"), reference=ticket.reference)
    target = STAFF_REPLIES[draft.purpose]
    changes: list[Change] = []
    if ticket.status is not target:
        check_transition(ticket.status, target)
        changes.append(SetStatus(target, {"ground": draft.ground}))
    if draft.purpose is Purpose.ASK_DETAILS:
        changes.append(Audit("details_requested", {"fields": [d.value for d in draft.details]}))
    if not ticket.email:
        if attachments:
            raise ReviewRefused(N_("{reference} has no email address to send the attached files to"),
                                reference=ticket.reference)
        changes.append(Audit("reply_not_sent", {"purpose": draft.purpose.value, "reason": N_("no email address")}))
        return Plan(actor, ticket.reference, tuple(changes))
    edited = body.strip() != template.body.strip() or subject.strip() != (template.subject or "")
    written = Written(reply_subject(subject or template.subject or "", ticket.reference),
                      body.replace("\r\n", "\n").strip() + "\n")
    changes.append(Reply(draft.purpose, ReplyChannel.EMAIL, ticket.language, thread=thread, written=written,
                         attachments=attachments,
                         event=Audit("staff_reply", {"purpose": draft.purpose.value, "edited": edited,
                                                     "ground": draft.ground, "files": len(attachments)})))
    return Plan(actor, ticket.reference, tuple(changes))


def _moved(ticket: TicketState, target: TicketStatus) -> tuple[Change, ...]:
    return (SetStatus(target),) if target is not ticket.status else ()


def _refuse_if_finished(ticket: TicketState) -> None:
    if ticket.status in FINISHED_STATUSES:
        raise ReviewRefused(N_("{reference} is already {status}"), reference=ticket.reference, status=ticket.status)
