"""The bot's steps as plans, for chat and mail alike: no database, no server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from privacy_desk import bot_plan
from privacy_desk.languages import Language
from privacy_desk.messages import Channel, Delivery, IncomingMessage
from privacy_desk.plan import (
    AddDetails,
    CodeTried,
    ConfirmIdentity,
    KeepIncoming,
    OpenTicket,
    PendingCode,
    Reply,
    SetStatus,
    TicketState,
)
from privacy_desk.policy import Detail, RequestKind, Topic, load_pack
from privacy_desk.replies import Purpose, ReplyChannel
from privacy_desk.status import TicketStatus
from privacy_desk.verification import MAX_ATTEMPTS, CodeCheck

PACK = load_pack("itosoft")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
VALUES = {Detail.NAME: "Hanako Suzuki", Detail.EMAIL: "hanako@example.jp", Detail.PHONE: "03-1234-5678",
          Detail.COMPANY: "Example K.K.", Detail.DIVISION: "Sales", Detail.MEMBER_NUMBER: "M-1",
          Detail.ADDRESS: "Tokyo"}
MAIL = IncomingMessage(channel=Channel.EMAIL, body="Please delete my data.", language=Language.EN,
                       sender="hanako@example.jp", subject="Delete", message_id="<m2@example.jp>",
                       references="<m1@example.jp>")


def all_details(kind: RequestKind) -> dict[str, str | None]:
    return {d.value: VALUES[d] for d in PACK.rule(kind).details}


def state(kind: RequestKind, status: TicketStatus, details: dict[Detail, str] | None = None,
          identity: bool = False) -> TicketState:
    return TicketState(reference="PRQ-2026-000007", kind=kind, status=status, language=Language.EN,
                       channel=Channel.EMAIL, details=details if details is not None else {},
                       identity_confirmed=identity, due_date=date(2026, 12, 16), created_at=NOW)


def kinds(changes: tuple[object, ...]) -> list[str]:
    return [type(c).__name__ for c in changes]


def replies(changes: tuple[object, ...]) -> list[tuple[Purpose, ReplyChannel, bool]]:
    return [(c.purpose, c.channel, c.with_code) for c in changes if isinstance(c, Reply)]


def test_a_chat_request_with_everything_asks_for_the_code_and_mails_it() -> None:
    kind = RequestKind.DELETION
    plan = bot_plan.plan_open_request(PACK, kind, all_details(kind), channel=Channel.CHAT, language=Language.EN,
                                      now=NOW, actor="chat")
    opening = plan.changes[0]
    assert isinstance(opening, OpenTicket) and opening.status is TicketStatus.AWAITING_VERIFICATION
    assert opening.due_date == date(2026, 12, 16)  # ten business days after Wednesday 2 December
    assert replies(plan.changes) == [(Purpose.ACKNOWLEDGEMENT, ReplyChannel.CHAT, False),
                                     (Purpose.VERIFY_IDENTITY, ReplyChannel.CHAT, False),
                                     (Purpose.VERIFY_IDENTITY, ReplyChannel.EMAIL, True)]
    assert plan.reference is None and plan.missing == ()
    assert plan.status_after(None) is TicketStatus.AWAITING_VERIFICATION


def test_a_mail_request_missing_details_keeps_the_mail_and_asks_in_its_thread() -> None:
    plan = bot_plan.plan_open_request(PACK, RequestKind.DELETION, {"email": "hanako@example.jp", "shoe": "42"},
                                      channel=Channel.EMAIL, language=Language.EN, now=NOW, actor="mail",
                                      incoming=MAIL)
    assert kinds(plan.changes) == ["OpenTicket", "KeepIncoming", "Reply"]
    opening, _, ask = plan.changes
    assert isinstance(opening, OpenTicket) and set(opening.details) == {Detail.EMAIL}  # unknown keys dropped
    assert isinstance(ask, Reply) and ask.purpose is Purpose.ASK_DETAILS and ask.channel is ReplyChannel.EMAIL
    assert ask.missing == plan.missing and Detail.EMAIL not in ask.missing and ask.missing
    assert (ask.thread.in_reply_to, ask.thread.references) == ("<m2@example.jp>", "<m1@example.jp> <m2@example.jp>")


def test_no_email_address_means_no_mail() -> None:
    kind = RequestKind.COMPLAINT
    details = {k: v for k, v in all_details(kind).items() if k != "email"}
    plan = bot_plan.plan_open_request(PACK, kind, details, channel=Channel.CHAT, language=Language.EN, now=NOW,
                                      actor="chat")
    assert all(r[1] is ReplyChannel.CHAT for r in replies(plan.changes))


def test_details_fill_only_what_is_missing_and_move_the_ticket_on() -> None:
    kind = RequestKind.DELETION
    before = state(kind, TicketStatus.AWAITING_DETAILS, {Detail.EMAIL: "hanako@example.jp"})
    plan = bot_plan.plan_add_details(PACK, before, {**all_details(kind), "email": "other@example.com"},
                                     channel=Channel.EMAIL, language=Language.EN, actor="mail", incoming=MAIL)
    added = next(c for c in plan.changes if isinstance(c, AddDetails))
    assert Detail.EMAIL not in added.fields  # a given detail is never overwritten
    assert SetStatus(TicketStatus.AWAITING_VERIFICATION) in plan.changes
    assert replies(plan.changes) == [(Purpose.VERIFY_IDENTITY, ReplyChannel.EMAIL, True)]


def test_details_still_missing_are_asked_again() -> None:
    before = state(RequestKind.DELETION, TicketStatus.AWAITING_DETAILS, {Detail.EMAIL: "hanako@example.jp"})
    plan = bot_plan.plan_add_details(PACK, before, {}, channel=Channel.EMAIL, language=Language.EN, actor="mail")
    assert kinds(plan.changes) == ["Reply"] and plan.missing


def test_details_on_a_ticket_waiting_for_staff_change_nothing_else() -> None:
    before = state(RequestKind.DELETION, TicketStatus.IN_PROGRESS, {Detail.EMAIL: "hanako@example.jp"})
    plan = bot_plan.plan_add_details(PACK, before, {"phone": "03-1111-2222"}, channel=Channel.EMAIL,
                                     language=Language.EN, actor="mail", incoming=MAIL)
    assert kinds(plan.changes) == ["KeepIncoming", "AddDetails"]


def waiting() -> TicketState:
    kind = RequestKind.DELETION
    return state(kind, TicketStatus.AWAITING_VERIFICATION, {d: VALUES[d] for d in PACK.rule(kind).details})


def pending(attempts: int = 0, minutes_left: int = 10) -> PendingCode:
    return PendingCode("d" * 64, attempts, NOW + timedelta(minutes=minutes_left), Channel.CHAT)


def test_the_right_code_confirms_and_acknowledges() -> None:
    plan = bot_plan.plan_check_code(PACK, waiting(), pending(), "d" * 64, now=NOW, channel=Channel.CHAT,
                                    language=Language.EN, actor="chat")
    assert plan.code_check is CodeCheck.CONFIRMED
    assert plan.changes[:3] == (CodeTried(CodeCheck.CONFIRMED, counted=False), ConfirmIdentity("code by chat"),
                                SetStatus(TicketStatus.OPEN))
    assert replies(plan.changes) == [(Purpose.ACKNOWLEDGEMENT, ReplyChannel.CHAT, False),
                                     (Purpose.ACKNOWLEDGEMENT, ReplyChannel.EMAIL, False)]


def test_a_wrong_code_counts_and_the_last_try_locks() -> None:
    wrong = bot_plan.plan_check_code(PACK, waiting(), pending(), "e" * 64, now=NOW, channel=Channel.CHAT,
                                     language=Language.EN, actor="chat")
    assert wrong.code_check is CodeCheck.WRONG and wrong.attempts_left == MAX_ATTEMPTS - 1
    assert wrong.changes == (CodeTried(CodeCheck.WRONG, counted=True),)
    last = bot_plan.plan_check_code(PACK, waiting(), pending(MAX_ATTEMPTS - 1), None, now=NOW,
                                    channel=Channel.CHAT, language=Language.EN, actor="chat")
    assert last.code_check is CodeCheck.LOCKED and last.attempts_left == 0
    locked = bot_plan.plan_check_code(PACK, waiting(), pending(MAX_ATTEMPTS), "d" * 64, now=NOW,
                                      channel=Channel.CHAT, language=Language.EN, actor="chat")
    assert locked.code_check is CodeCheck.LOCKED and locked.changes == (CodeTried(CodeCheck.LOCKED, False),)


def test_an_expired_code_sends_a_fresh_one_and_no_code_changes_nothing() -> None:
    expired = bot_plan.plan_check_code(PACK, waiting(), pending(minutes_left=-1), "d" * 64, now=NOW,
                                       channel=Channel.EMAIL, language=Language.EN, actor="mail", incoming=MAIL)
    assert expired.code_check is CodeCheck.EXPIRED
    assert replies(expired.changes) == [(Purpose.VERIFY_IDENTITY, ReplyChannel.EMAIL, True)]
    none = bot_plan.plan_check_code(PACK, waiting(), None, "d" * 64, now=NOW, channel=Channel.CHAT,
                                    language=Language.EN, actor="chat")
    assert none.code_check is CodeCheck.NO_CODE and none.changes == ()


def test_questions_followups_and_kept_mail() -> None:
    answer = bot_plan.plan_answer_by_mail(Topic.FEE, to="hanako@example.jp", language=Language.JA, actor="mail",
                                          incoming=MAIL)
    keep, reply = answer.changes
    assert answer.reference is None and isinstance(keep, KeepIncoming) and not keep.on_ticket
    assert isinstance(reply, Reply) and (reply.topic, reply.recipient, reply.language) == (
        Topic.FEE, "hanako@example.jp", Language.JA)
    followup = bot_plan.plan_followup(waiting(), MAIL, "mail")
    assert followup.changes == (KeepIncoming(MAIL, event="customer_replied"),)
    held = bot_plan.plan_keep(MAIL, "not a privacy matter", "mail")
    assert held.changes == (KeepIncoming(MAIL, on_ticket=False, delivery=Delivery.HELD,
                                         reason="not a privacy matter"),)
    on_ticket = bot_plan.plan_keep(MAIL, "reply limit", "mail", ticket=waiting())
    assert on_ticket.reference == waiting().reference
    assert on_ticket.changes == (KeepIncoming(MAIL, reason="reply limit", event="mail_kept"),)
