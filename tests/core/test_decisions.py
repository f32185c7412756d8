from datetime import UTC, date, datetime

from privacy_desk import decisions
from privacy_desk.policy import Detail, RequestKind, Topic, load_pack
from privacy_desk.status import TicketStatus


def test_intents_map_to_kinds_and_topics() -> None:
    assert decisions.kind_for_intent("request_third_party_optout") is RequestKind.THIRD_PARTY_OPTOUT
    assert decisions.kind_for_intent("complaint") is RequestKind.COMPLAINT
    assert decisions.kind_for_intent("ask_fee") is None
    assert decisions.topic_for_intent("ask_sensitive_info") is Topic.SENSITIVE_INFO
    assert decisions.topic_for_intent("greet") is None
    # inquiry has no intent: it is what the chat hands to staff after two misunderstandings.
    assert set(decisions.REQUEST_INTENTS.values()) == set(RequestKind) - {RequestKind.INQUIRY}
    assert set(decisions.QUESTION_INTENTS.values()) == set(Topic)


def test_missing_details_follow_the_pack_and_ignore_blanks() -> None:
    rule = load_pack("qualitysoft").rule(RequestKind.DISCLOSURE)
    given = {"name": "Hanako Suzuki", "email": "  ", "phone": None, "shoe": "42"}
    missing = decisions.missing_details(rule, decisions.clean_details(given))
    assert Detail.NAME not in missing
    assert Detail.EMAIL in missing and Detail.PHONE in missing
    assert missing == [d for d in rule.details if d is not Detail.NAME]


def test_status_for_orders_details_before_identity() -> None:
    rule = load_pack("itosoft").rule(RequestKind.DELETION)
    full = {d: "x" for d in rule.details}
    assert rule.needs_identity
    assert decisions.status_for(rule, {}, identity_confirmed=False) is TicketStatus.AWAITING_DETAILS
    assert decisions.status_for(rule, full, identity_confirmed=False) is TicketStatus.AWAITING_VERIFICATION
    assert decisions.status_for(rule, full, identity_confirmed=True) is TicketStatus.OPEN


def test_only_a_waiting_ticket_moves_on_by_itself() -> None:
    rule = load_pack("itosoft").rule(RequestKind.DELETION)
    full = {d: "x" for d in rule.details}
    advanced = decisions.advanced_status
    assert advanced(rule, TicketStatus.AWAITING_DETAILS, full, False) is TicketStatus.AWAITING_VERIFICATION
    assert advanced(rule, TicketStatus.AWAITING_VERIFICATION, full, True) is TicketStatus.OPEN
    assert advanced(rule, TicketStatus.AWAITING_VERIFICATION, {}, True) is TicketStatus.AWAITING_DETAILS
    # Staff's statuses are staff's: details arriving later do not move them.
    for status in (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.REJECTED):
        assert advanced(rule, status, {}, False) is status


def test_references_and_due_dates() -> None:
    assert decisions.format_reference(2026, 123) == "PRQ-2026-000123"
    assert decisions.find_reference("Re: [PRQ-2026-000123] We need details") == "PRQ-2026-000123"
    assert decisions.find_reference("Re: PRQ-26-1") is None
    pack = load_pack("itosoft")
    # Opened on Wednesday 2 December 2026 (Tokyo): ten business days, no holiday in between.
    opened = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    assert decisions.due_date(opened, pack.rule(RequestKind.DISCLOSURE), pack.calendar) == date(2026, 12, 16)
    assert decisions.is_overdue(date(2026, 1, 1), date(2026, 1, 2), TicketStatus.OPEN)
    assert not decisions.is_overdue(date(2026, 1, 1), date(2026, 1, 2), TicketStatus.RESOLVED)


def test_which_replies_follow_a_step() -> None:
    from privacy_desk.replies import Purpose, ReplyChannel

    def plan(status: TicketStatus, channel: str, has_email: bool = True) -> list[tuple[str, str, bool]]:
        return [(r.purpose.value, r.channel.value, r.with_code) for r in decisions.replies_for(status, channel,
                                                                                                 has_email)]

    assert plan(TicketStatus.AWAITING_DETAILS, "chat") == [("ask_details", "chat", False)]
    assert plan(TicketStatus.AWAITING_DETAILS, "email") == [("ask_details", "email", False)]
    # The code always goes by mail; the chat says that it was sent.
    assert plan(TicketStatus.AWAITING_VERIFICATION, "chat") == [
        ("acknowledgement", "chat", False), ("verify_identity", "chat", False), ("verify_identity", "email", True)]
    assert plan(TicketStatus.AWAITING_VERIFICATION, "email") == [("verify_identity", "email", True)]
    # Open: a chat customer gets the acknowledgement in the chat and, as a record, by mail.
    assert plan(TicketStatus.OPEN, "chat") == [("acknowledgement", "chat", False), ("acknowledgement", "email", False)]
    assert plan(TicketStatus.OPEN, "chat", has_email=False) == [("acknowledgement", "chat", False)]
    assert plan(TicketStatus.OPEN, "email") == [("acknowledgement", "email", False)]
    assert Purpose.ANSWER not in {r.purpose for r in decisions.replies_for(TicketStatus.OPEN, "chat", True)}
    assert ReplyChannel.EMAIL in {r.channel for r in decisions.replies_for(TicketStatus.OPEN, "email", True)}
