"""What to do with one mail: a pure decision over what the mail says and what the store knows about it.

The mail channel gathers the facts (parsing, classification, and three look-ups: seen before? which ticket?
how many replies to this sender today?), asks `plan_mail`, and carries the plan out in one transaction. Every
branch of the email channel's decision tree is here, and is tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from privacy_desk.decisions import kind_for_intent, topic_for_intent
from privacy_desk.policy import RequestKind, Topic
from privacy_desk.status import TicketStatus

# At most this many automatic replies to one address a day: a flood gets kept for staff, not answered.
REPLY_LIMIT_PER_DAY = 5


class MailStep(StrEnum):
    QUARANTINE = "quarantine"  # cannot be read: kept as received, with the problem
    NOTHING = "nothing"  # seen before (same Message-ID), or machine mail: never answered, nothing kept
    KEEP = "keep"  # not answered: kept for staff with the reason (on its ticket when it has one)
    CHECK_CODE = "check_code"  # a one-time code for the ticket waiting for it
    ADD_DETAILS = "add_details"  # details the ticket still waits for
    FOLLOWUP = "followup"  # a reply on a ticket that waits for staff: on the thread, nothing sent
    ANSWER = "answer"  # a policy question: the pack's answer
    OPEN = "open"  # a request: a new ticket


@dataclass(frozen=True)
class MailFacts:
    problem: str | None = None  # why it could not be parsed
    seen_before: bool = False
    own: str | None = None  # why it is our own mail
    machine: str | None = None  # why it is machine mail (RFC 3834 and the signs mail systems leave)
    ticket_status: TicketStatus | None = None  # of the ticket it threads to; None: no ticket
    has_code: bool = False  # the new text holds something shaped like a one-time code
    said_something: bool = True  # the body's own words, or the subject's, say anything at all
    intent: str | None = None
    uncertain: bool = False  # the model's own answer was no intent the mail channel acts on
    replies_today: int = 0  # automatic replies to this sender in the last day


@dataclass(frozen=True)
class MailPlan:
    step: MailStep
    action: str  # what `mail process` reports: opened | followup | answered | ignored | quarantined
    reason: str
    kind: RequestKind | None = None
    topic: Topic | None = None
    staff_reason: str | None = None  # KEEP: the reason staff see beside the kept mail


def plan_mail(f: MailFacts) -> MailPlan:
    if f.problem is not None:
        return MailPlan(MailStep.QUARANTINE, "quarantined", f"cannot parse: {f.problem}")
    if f.seen_before:
        return MailPlan(MailStep.NOTHING, "ignored", "already processed (same Message-ID)")
    if f.own:
        return MailPlan(MailStep.KEEP, "ignored", f"{f.own}: kept for staff, not answered", staff_reason=f.own)
    if f.machine:
        return MailPlan(MailStep.NOTHING, "ignored", f"not answered automatically: {f.machine}")
    flood = f.replies_today >= REPLY_LIMIT_PER_DAY
    if f.ticket_status is not None:
        return _followup(f, flood)
    kind, topic = kind_for_intent(f.intent or ""), topic_for_intent(f.intent or "")

    def keep(reason: str) -> MailPlan:
        return MailPlan(MailStep.KEEP, "ignored", f"{reason}: kept for staff", staff_reason=reason)

    if not f.said_something:
        return keep("no text to act on")
    if f.uncertain:
        # A person reads what the model cannot place; a wrong automatic ticket or answer helps no one.
        return keep("unclear to the classifier")
    if kind is None and topic is None:
        return keep("not a privacy matter")
    if flood:
        return keep(f"reply limit reached for this sender ({REPLY_LIMIT_PER_DAY} a day)")
    if topic is not None:
        return MailPlan(MailStep.ANSWER, "answered", f"policy question ({topic.value})", topic=topic)
    assert kind is not None
    return MailPlan(MailStep.OPEN, "opened", f"{kind.value} request", kind=kind)


def _followup(f: MailFacts, flood: bool) -> MailPlan:
    if f.ticket_status is TicketStatus.AWAITING_VERIFICATION and f.has_code:
        return MailPlan(MailStep.CHECK_CODE, "followup", "identity code")
    if f.ticket_status in {TicketStatus.AWAITING_DETAILS, TicketStatus.AWAITING_VERIFICATION} and not flood:
        return MailPlan(MailStep.ADD_DETAILS, "followup", "details from the customer's reply")
    return MailPlan(MailStep.FOLLOWUP, "followup", "customer's reply added to the ticket for staff")

