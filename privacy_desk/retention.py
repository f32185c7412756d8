"""Retention: personal data of finished tickets is anonymised once the pack's retention period has passed.

What is kept: the reference, kind, status, channel, language, dates and the audit trail's actions, so the
company can still show that it handled a request and when. What goes: the requester's details, every message
text and address, every file attached to a message (its bytes and its record), notes' texts, and verification
records. Mail that never became a ticket (answers to policy
questions, quarantined or ignored mail) goes after the same period, and so does a chat conversation (Rasa's
record of it: the visitor's words and answers) whose last turn is older than that; a request it opened keeps
its own copy of what was said, under the ticket's retention. Proposed training examples from staff corrections
that nobody accepted within the period go too: their text is masked, but masking can miss something, and a
proposal no one accepted is not training data. Accepted ones stay: a person read them, and they are the
training data written to `intents/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from privacy_desk.conversations import forget_conversations, idle_conversations
from privacy_desk.corrections import CorrectionState
from privacy_desk.messages import Clock, utcnow
from privacy_desk.models import Attachment, Message, NluCorrection, Ticket, Verification
from privacy_desk.policy import Detail, PolicyPack
from privacy_desk.status import FINISHED_STATUSES
from privacy_desk.tickets import add_event

REMOVED = "[removed under the retention policy]"
ACTOR = "retention"


@dataclass(frozen=True)
class RetentionReport:
    cutoff: datetime
    tickets: list[str]
    loose_messages: int
    dry_run: bool
    conversations: int = 0
    unaccepted_corrections: int = 0


def retention_cutoff(now: datetime, pack: PolicyPack) -> datetime:
    return now - timedelta(days=pack.retention_days)


def anonymise_message(message: Message) -> None:
    message.body = REMOVED
    message.subject = None
    message.sender = None
    message.recipient = None
    message.last_error = None
    message.meta = {"anonymised": True}


def run_retention(session: Session, pack: PolicyPack, *, dry_run: bool = False,
                  clock: Clock = utcnow) -> RetentionReport:
    """Anonymise what is past retention (in the caller's transaction) and record that it did."""
    now = clock()
    cutoff = retention_cutoff(now, pack)
    due = list(session.scalars(select(Ticket).where(
        Ticket.closed_at.is_not(None), Ticket.closed_at < cutoff, Ticket.anonymised_at.is_(None),
        Ticket.status.in_([s.value for s in FINISHED_STATUSES])).order_by(Ticket.id)))
    loose = list(session.scalars(select(Message).where(
        Message.ticket_id.is_(None), Message.created_at < cutoff, Message.body != REMOVED)))
    conversations = idle_conversations(session, cutoff)
    proposals = list(session.scalars(select(NluCorrection.id).where(
        NluCorrection.state != CorrectionState.ACCEPTED.value, NluCorrection.created_at < cutoff)))
    if not dry_run:
        for ticket in due:
            _anonymise_ticket(session, ticket, now)
        for message in loose:
            anonymise_message(message)
        files = _forget_attachments(session, [m for t in due for m in t.messages] + loose)
        forget_conversations(session, conversations)
        if proposals:
            session.execute(delete(NluCorrection).where(NluCorrection.id.in_(proposals)))
        add_event(session, None, ACTOR, "retention_run", {
            "policy": pack.id, "retention_days": pack.retention_days, "cutoff": cutoff.isoformat(),
            "tickets": [t.reference for t in due], "loose_messages": len(loose),
            "conversations": len(conversations), "attachments": files, "unaccepted_corrections": len(proposals)},
            now)
        session.flush()
    return RetentionReport(cutoff, [t.reference for t in due], len(loose), dry_run, len(conversations),
                           len(proposals))


def _forget_attachments(session: Session, messages: list[Message]) -> int:
    """Delete the files of these messages (names and bytes may both be personal data); returns how many."""
    ids = [m.id for m in messages]
    removed = 0
    for start in range(0, len(ids), 500):  # bounded IN lists
        result = session.execute(delete(Attachment).where(Attachment.message_id.in_(ids[start:start + 500])))
        removed += int(getattr(result, "rowcount", 0) or 0)
    for message in messages:
        session.expire(message, ["attachments"])  # the ORM's copies must not keep the deleted rows
    return removed


def _anonymise_ticket(session: Session, ticket: Ticket, now: datetime) -> None:
    for detail in Detail:
        setattr(ticket, detail.value, None)
    for message in ticket.messages:
        anonymise_message(message)
    for event in ticket.events:
        if "text" in event.details:
            event.details = {**event.details, "text": REMOVED}
    session.execute(delete(Verification).where(Verification.ticket_id == ticket.id))
    ticket.anonymised_at = now
    add_event(session, ticket, ACTOR, "anonymised", {
        "days_after_closing": (now - ticket.closed_at).days if ticket.closed_at else None}, now)
