"""The email channel's decision tree, branch by branch, with no database and no mail server."""

from __future__ import annotations

import pytest

from privacy_desk.mail_plan import REPLY_LIMIT_PER_DAY, MailFacts, MailStep, plan_mail
from privacy_desk.policy import RequestKind, Topic
from privacy_desk.status import TicketStatus


@pytest.mark.parametrize(("facts", "step", "action", "reason"), [
    (MailFacts(problem="no headers"), MailStep.QUARANTINE, "quarantined", "cannot parse: no headers"),
    (MailFacts(seen_before=True, intent="request_deletion"), MailStep.NOTHING, "ignored", "already processed"),
    # Our own mail before machine signs: our replies carry Auto-Submitted, and a copy must still be kept.
    (MailFacts(own="sent from our own address", machine="Auto-Submitted: auto-replied"), MailStep.KEEP,
     "ignored", "sent from our own address"),
    (MailFacts(machine="Precedence: bulk", intent="request_deletion"), MailStep.NOTHING, "ignored", "Precedence"),
    (MailFacts(said_something=False, intent="request_deletion"), MailStep.KEEP, "ignored", "no text to act on"),
    (MailFacts(intent="request_deletion", uncertain=True), MailStep.KEEP, "ignored", "unclear"),
    (MailFacts(intent="out_of_scope"), MailStep.KEEP, "ignored", "not a privacy matter"),
    (MailFacts(intent="ask_fee", replies_today=REPLY_LIMIT_PER_DAY), MailStep.KEEP, "ignored", "reply limit"),
    (MailFacts(intent="ask_fee", replies_today=REPLY_LIMIT_PER_DAY - 1), MailStep.ANSWER, "answered", "fee"),
    (MailFacts(intent="request_deletion"), MailStep.OPEN, "opened", "deletion request"),
])
def test_new_mail(facts: MailFacts, step: MailStep, action: str, reason: str) -> None:
    plan = plan_mail(facts)
    assert (plan.step, plan.action) == (step, action) and reason in plan.reason


def test_what_is_opened_or_answered() -> None:
    assert plan_mail(MailFacts(intent="request_third_party_optout")).kind is RequestKind.THIRD_PARTY_OPTOUT
    assert plan_mail(MailFacts(intent="ask_security")).topic is Topic.SECURITY
    assert plan_mail(MailFacts(intent="out_of_scope")).staff_reason == "not a privacy matter"
    assert plan_mail(MailFacts(own="sent from our own address")).staff_reason == "sent from our own address"
    assert plan_mail(MailFacts(intent="request_deletion")).staff_reason is None


@pytest.mark.parametrize(("status", "code", "replies", "step"), [
    (TicketStatus.AWAITING_VERIFICATION, True, 0, MailStep.CHECK_CODE),
    (TicketStatus.AWAITING_VERIFICATION, True, REPLY_LIMIT_PER_DAY, MailStep.CHECK_CODE),  # a code always counts
    (TicketStatus.AWAITING_VERIFICATION, False, 0, MailStep.ADD_DETAILS),
    (TicketStatus.AWAITING_DETAILS, False, 0, MailStep.ADD_DETAILS),
    (TicketStatus.AWAITING_DETAILS, False, REPLY_LIMIT_PER_DAY, MailStep.FOLLOWUP),
    (TicketStatus.OPEN, True, 0, MailStep.FOLLOWUP),
    (TicketStatus.RESOLVED, False, 0, MailStep.FOLLOWUP),
])
def test_replies_on_a_ticket(status: TicketStatus, code: bool, replies: int, step: MailStep) -> None:
    # On a ticket, even an unclear or out-of-scope reply belongs to the thread.
    plan = plan_mail(MailFacts(ticket_status=status, has_code=code, replies_today=replies, intent="out_of_scope",
                               uncertain=True))
    assert plan.step is step and plan.action == "followup"
