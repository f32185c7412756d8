"""The shared request flow (chat and mail): details, one-time codes, queued mail, and the outbox over real SMTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from privacy_desk.desk import Desk
from privacy_desk.languages import Language
from privacy_desk.messages import Channel, IncomingMessage
from privacy_desk.models import Message
from privacy_desk.outbox import Outbox, SmtpSender
from privacy_desk.policy import RequestKind, load_pack
from privacy_desk.settings import Settings
from privacy_desk.status import TicketStatus
from privacy_desk.tickets import TicketService
from privacy_desk.verification import MAX_ATTEMPTS, CodeCheck, find_code
from tests.support.clock import Clock
from tests.support.smtp import SmtpServer

PACK = load_pack("itosoft")
KEY = b"k" * 32
MAIL_FROM = "privacy@itosoft.example.com"


@pytest.fixture
def desk(sessions: sessionmaker[Session], clock: Clock) -> Desk:
    return Desk(sessions, PACK, KEY, MAIL_FROM, clock=clock)


def details(kind: RequestKind) -> dict[str, str]:
    values = {"name": "Hanako Suzuki", "email": "hanako@example.jp", "phone": "03-1234-5678",
              "company": "Example K.K.", "division": "Sales", "member_number": "M-204511", "address": "Tokyo"}
    return {d.value: values[d.value] for d in PACK.rule(kind).details}


def outbox(sessions: sessionmaker[Session], smtp_port: int, clock: Clock) -> Outbox:
    settings = Settings.from_mapping({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port)})
    return Outbox(sessions, SmtpSender(settings, timeout=5).send, MAIL_FROM, PACK.company.name.en, clock=clock)


def test_chat_request_with_identity_check_mails_a_code_and_confirms(
        desk: Desk, sessions: sessionmaker[Session], smtp: SmtpServer, clock: Clock) -> None:
    kind = RequestKind.DELETION
    assert PACK.rule(kind).needs_identity
    outcome = desk.open_request(kind=kind, details=details(kind), channel=Channel.CHAT, language=Language.EN,
                                actor="chat")
    assert outcome.status is TicketStatus.AWAITING_VERIFICATION
    assert outcome.reference in outcome.chat_texts[0]
    assert all(find_code(text) is None for text in outcome.chat_texts)  # the code never shows in the chat

    assert outbox(sessions, smtp.port, clock).run_once() == 1
    (mail,) = smtp.mailbox.wait_for(1)
    assert mail["To"] == "hanako@example.jp" and mail["Auto-Submitted"] == "auto-replied"
    assert f"[{outcome.reference}]" in mail["Subject"]
    code = find_code(mail.get_content())
    assert code

    wrong = desk.check_code(outcome.reference, "000000" if code != "000000" else "111111", channel=Channel.CHAT,
                            language=Language.EN, actor="chat")
    assert wrong.code_check is CodeCheck.WRONG and wrong.attempts_left == MAX_ATTEMPTS - 1
    right = desk.check_code(outcome.reference, f"my code is {code}", channel=Channel.CHAT, language=Language.EN,
                            actor="chat")
    assert right.code_check is CodeCheck.CONFIRMED and right.status is TicketStatus.OPEN
    assert outcome.reference in right.chat_texts[0]

    with sessions() as s:
        ticket = TicketService(s, PACK).get(outcome.reference)
        assert ticket.identity_confirmed_at == clock.now
        stored = s.scalars(select(Message).where(Message.purpose == "verify_identity",
                                                 Message.channel == "email")).one()
        assert code not in stored.body and "******" in stored.body  # blanked once sent
        actions = [e.action for e in ticket.events]
        assert "verification_sent" in actions and "verification_failed" in actions
        assert "identity_confirmed" in actions


def test_codes_expire_and_lock(desk: Desk, sessions: sessionmaker[Session], clock: Clock) -> None:
    kind = RequestKind.DISCLOSURE
    ref = desk.open_request(kind=kind, details=details(kind), channel=Channel.CHAT, language=Language.EN,
                            actor="chat").reference
    clock.now += timedelta(minutes=31)
    expired = desk.check_code(ref, "123456", channel=Channel.CHAT, language=Language.EN, actor="chat")
    assert expired.code_check is CodeCheck.EXPIRED and len(expired.queued_mail) == 1  # a new code is on its way
    outcomes = [desk.check_code(ref, "999999", channel=Channel.CHAT, language=Language.EN, actor="chat").code_check
                for _ in range(MAX_ATTEMPTS)]
    assert outcomes[-1] is CodeCheck.LOCKED and outcomes[0] is CodeCheck.WRONG
    with sessions() as s:
        assert TicketService(s, PACK).get(ref).status == TicketStatus.AWAITING_VERIFICATION


def test_mail_request_missing_details_then_completed(desk: Desk, sessions: sessionmaker[Session]) -> None:
    kind = RequestKind.MARKETING_OPTOUT
    mail = IncomingMessage(channel=Channel.EMAIL, body="Please stop sending me offers.", language=Language.EN,
                           sender="hanako@example.jp", subject="Offers", message_id="<q1@example.jp>",
                           in_reply_to="<p0@example.jp>", references="<p0@example.jp>")
    first = desk.open_request(kind=kind, details={"email": "hanako@example.jp"}, channel=Channel.EMAIL,
                              language=Language.EN, actor="mail", incoming=mail)
    expected_missing = [d for d in PACK.rule(kind).details if d.value != "email"]
    assert first.status is TicketStatus.AWAITING_DETAILS and first.missing == expected_missing
    with sessions() as s:
        asked = s.get(Message, first.queued_mail[0])
        assert asked.purpose == "ask_details" and asked.in_reply_to == "<q1@example.jp>"
        assert asked.references == "<p0@example.jp> <q1@example.jp>"  # RFC 5322: the parent's, then the parent
        assert asked.message_id.endswith("@itosoft.example.com>")
    second = desk.add_details(first.reference, details(kind), channel=Channel.EMAIL, language=Language.EN,
                              actor="mail")
    assert second.status in {TicketStatus.AWAITING_VERIFICATION, TicketStatus.OPEN}
    assert second.queued_mail


def test_smtp_down_then_back_loses_nothing(desk: Desk, sessions: sessionmaker[Session], clock: Clock) -> None:
    from tests.support.postgres import free_port
    from tests.support.smtp import smtp_server

    port = free_port()
    kind = RequestKind.COMPLAINT
    desk.open_request(kind=kind, details=details(kind), channel=Channel.EMAIL, language=Language.EN, actor="mail")
    worker = outbox(sessions, port, clock)
    assert worker.run_once() == 0  # nobody listens on the port
    with sessions() as s:
        row = s.scalars(select(Message).where(Message.direction == "out")).one()
        assert (row.delivery_state, row.attempts) == ("queued", 1) and "ConnectionRefused" in row.last_error
        assert row.next_attempt_at > clock.now
    with smtp_server(port) as server:
        assert worker.run_once() == 0  # not due yet: backoff
        clock.now += timedelta(minutes=5)
        assert worker.run_once() == 1
        assert len(server.mailbox.wait_for(1)) == 1
        assert worker.run_once() == 0  # sent once
    with sessions() as s:
        assert s.scalars(select(Message.delivery_state).where(Message.direction == "out")).one() == "sent"
