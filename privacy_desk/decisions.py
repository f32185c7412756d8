"""Pure decisions about one inquiry: which kind, which details are missing, which status, which due date, and
which replies follow a step.

No I/O here: every function takes plain data and returns plain data, so channels and tests share them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from privacy_desk.business_calendar import BusinessCalendar
from privacy_desk.policy import Detail, RequestKind, RequestRule, Topic
from privacy_desk.replies import Purpose, ReplyChannel
from privacy_desk.status import ACTIVE_STATUSES, TicketStatus
from privacy_desk.workdays import add_business_days, local_date

REQUEST_INTENTS: dict[str, RequestKind] = {
    "request_disclosure": RequestKind.DISCLOSURE,
    "request_correction": RequestKind.CORRECTION,
    "request_deletion": RequestKind.DELETION,
    "request_discontinuance": RequestKind.DISCONTINUANCE,
    "request_third_party_optout": RequestKind.THIRD_PARTY_OPTOUT,
    "request_marketing_optout": RequestKind.MARKETING_OPTOUT,
    "complaint": RequestKind.COMPLAINT,
}

QUESTION_INTENTS: dict[str, Topic] = {
    "ask_purpose": Topic.PURPOSE,
    "ask_third_party": Topic.THIRD_PARTY,
    "ask_security": Topic.SECURITY,
    "ask_sensitive_info": Topic.SENSITIVE_INFO,
    "ask_how_to_request": Topic.HOW_TO_REQUEST,
    "ask_fee": Topic.FEE,
}

REFERENCE_PREFIX = "PRQ"
_REFERENCE = re.compile(r"\bPRQ-(\d{4})-(\d{6})\b")


def kind_for_intent(intent: str) -> RequestKind | None:
    return REQUEST_INTENTS.get(intent)


def topic_for_intent(intent: str) -> Topic | None:
    return QUESTION_INTENTS.get(intent)


def format_reference(year: int, number: int) -> str:
    return f"{REFERENCE_PREFIX}-{year:04d}-{number:06d}"


def find_reference(text: str) -> str | None:
    """The first ticket reference in a text such as a mail subject (`Re: [PRQ-2026-000123] ...`)."""
    match = _REFERENCE.search(text)
    return match.group(0) if match else None


def clean_details(details: Mapping[str, str | None]) -> dict[Detail, str]:
    """Known details with a non-blank value, stripped; unknown keys are dropped."""
    known = {d.value: d for d in Detail}
    cleaned: dict[Detail, str] = {}
    for key, value in details.items():
        if key in known and value is not None and value.strip():
            cleaned[known[key]] = value.strip()
    return cleaned


def missing_details(rule: RequestRule, given: Mapping[Detail, str]) -> list[Detail]:
    """The pack's required details for this kind that are not given, in the pack's order."""
    return [d for d in rule.details if not given.get(d)]


def status_for(rule: RequestRule, given: Mapping[Detail, str], identity_confirmed: bool) -> TicketStatus:
    """Where a bot-handled ticket stands given what we know: details first, then identity, then staff."""
    if missing_details(rule, given):
        return TicketStatus.AWAITING_DETAILS
    if rule.needs_identity and not identity_confirmed:
        return TicketStatus.AWAITING_VERIFICATION
    return TicketStatus.OPEN


def advanced_status(rule: RequestRule, current: TicketStatus, given: Mapping[Detail, str],
                    identity_confirmed: bool) -> TicketStatus:
    """A waiting ticket moves on once what it waits for has arrived; any other status is staff's to change."""
    if current not in {TicketStatus.AWAITING_DETAILS, TicketStatus.AWAITING_VERIFICATION}:
        return current
    return status_for(rule, given, identity_confirmed)


def due_date(opened_at: datetime, rule: RequestRule, calendar: BusinessCalendar) -> date:
    """The last day to answer: the kind's target in business days, counted from the company's date of opening."""
    return add_business_days(local_date(opened_at, calendar), rule.target.business_days, calendar)


def is_overdue(due: date, today: date, status: TicketStatus) -> bool:
    return status in ACTIVE_STATUSES and today > due


@dataclass(frozen=True)
class PlannedReply:
    purpose: Purpose
    channel: ReplyChannel
    with_code: bool = False  # the mail carries a fresh one-time code


def replies_for(status: TicketStatus, channel: str, has_email: bool) -> list[PlannedReply]:
    """What the customer is told after a bot step leaves a ticket in `status`, on the channel they used.

    Chat shows its lines at once; mail is the record. A code always goes by mail, whatever the channel, so the
    person who holds the mailbox confirms it. Chat customers get the acknowledgement by mail too."""
    chat = channel == ReplyChannel.CHAT
    if status is TicketStatus.AWAITING_DETAILS:
        return [PlannedReply(Purpose.ASK_DETAILS, ReplyChannel.CHAT if chat else ReplyChannel.EMAIL)]
    if status is TicketStatus.AWAITING_VERIFICATION:
        shown = [PlannedReply(Purpose.ACKNOWLEDGEMENT, ReplyChannel.CHAT),
                 PlannedReply(Purpose.VERIFY_IDENTITY, ReplyChannel.CHAT)] if chat else []
        return [*shown, PlannedReply(Purpose.VERIFY_IDENTITY, ReplyChannel.EMAIL, with_code=True)]
    shown = [PlannedReply(Purpose.ACKNOWLEDGEMENT, ReplyChannel.CHAT)] if chat else []
    return [*shown, PlannedReply(Purpose.ACKNOWLEDGEMENT, ReplyChannel.EMAIL)] if has_email else shown
