"""The chat assistant end to end: the real Rasa server, the real action server, a real SMTP server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from privacy_desk.db import make_engine, session_factory
from privacy_desk.languages import Language
from privacy_desk.models import Ticket
from privacy_desk.policy import Detail, RequestKind, Topic, load_pack
from tests.support.smtp import SmtpServer
from tests.support.stack import ChatStack

pytestmark = pytest.mark.rasa
PACK = load_pack("itosoft")
ANSWERS = {"name": "Taro Yamada", "email": "taro.yamada@example.jp", "phone": "03-1234-5678",
           "company": "Example K.K.", "division": "General Affairs", "member_number": "M-204511",
           "address": "1-2-3 Chiyoda, Tokyo"}
OPENERS = {
    RequestKind.DISCLOSURE: "I would like to see all the personal data you hold about me",
    RequestKind.CORRECTION: "please update my registered address, it is wrong",
    RequestKind.DELETION: "Please delete my personal data",
    RequestKind.DISCONTINUANCE: "stop using my personal information please",
    RequestKind.THIRD_PARTY_OPTOUT: "Do not share my data with your partner companies anymore",
    RequestKind.MARKETING_OPTOUT: "stop sending me newsletters and seminar invitations",
    RequestKind.COMPLAINT: "You leaked my personal information, I want to complain about how you handled it",
}


@pytest.fixture
def mail(chat_mail: SmtpServer) -> SmtpServer:
    return chat_mail


@pytest.fixture
def stack(chat: ChatStack) -> ChatStack:
    return chat




def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def fill_form(stack: ChatStack, sender: str, kind: RequestKind, first_reply: list[str]) -> list[str]:
    """Answer whatever the form asks, in the pack's order, and return the summary."""
    replies = first_reply
    for detail in PACK.rule(kind).details:
        assert any(_asks_for(detail, r) for r in replies), (detail, replies)
        replies = stack.say(sender, ANSWERS[detail.value])
    return replies


def _asks_for(detail: Detail, text: str) -> bool:
    words = {"name": "full name", "email": "email address", "phone": "phone number", "company": "company",
             "division": "division", "member_number": "membership number", "address": "postal address"}
    return words[detail.value] in text




@pytest.mark.parametrize("kind", list(OPENERS), ids=[k.value for k in OPENERS])
def test_each_request_kind_end_to_end(stack: ChatStack, mail: SmtpServer, kind: RequestKind) -> None:
    sender = new_sender()
    replies = stack.say(sender, OPENERS[kind])
    assert PACK.rule(kind).description.en in " ".join(replies), replies
    summary = fill_form(stack, sender, kind, replies)
    assert "Shall I submit it?" in summary[-1]
    for detail in PACK.rule(kind).details:
        assert ANSWERS[detail.value] in summary[-1]

    submitted = " ".join(stack.say(sender, "yes"))
    ticket = stack.tickets()[-1]
    assert ticket.kind == kind.value and ticket.channel == "chat" and ticket.reference in submitted
    assert ticket.email == ANSWERS["email"]
    if PACK.rule(kind).needs_identity:
        assert ticket.status == "awaiting_verification" and "type the code" in submitted
        confirmed = " ".join(stack.say(sender, mail.mailbox.code_for(ticket.reference)))
        assert "identity is confirmed" in confirmed and ticket.reference in confirmed
        ticket = next(t for t in stack.tickets() if t.reference == ticket.reference)
        assert ticket.identity_confirmed_at is not None
    assert ticket.status == "open"
    days = PACK.rule(kind).target.business_days
    assert f"We aim to answer within {days} business days, by" in (confirmed if PACK.rule(kind).needs_identity
                                                                 else submitted)


def test_invalid_email_is_asked_again_and_details_can_be_corrected(stack: ChatStack) -> None:
    sender = new_sender()
    stack.say(sender, OPENERS[RequestKind.DISCLOSURE])
    asked_email = stack.say(sender, "Taro Yamada")
    assert any("email address" in r for r in asked_email)
    again = stack.say(sender, "taro at example dot jp")
    assert any("does not look like an email address" in r for r in again)
    replies = stack.say(sender, "taro.yamada@example.jp")
    for detail in PACK.rule(RequestKind.DISCLOSURE).details[2:]:
        replies = stack.say(sender, ANSWERS[detail.value])
    assert "Shall I submit it?" in replies[-1]
    change = stack.say(sender, "no")
    assert any("What would you like to change?" in r for r in change)
    summary = stack.say(sender, "my email is hanako.new@example.jp")
    assert "hanako.new@example.jp" in summary[-1] and "Shall I submit it?" in summary[-1]
    stack.say(sender, "yes")
    assert stack.tickets()[-1].email == "hanako.new@example.jp"


def test_cancel_in_the_middle_opens_no_ticket(stack: ChatStack) -> None:
    sender = new_sender()
    before = len(stack.tickets())
    stack.say(sender, OPENERS[RequestKind.DELETION])
    stack.say(sender, "Taro Yamada")
    cancelled = stack.say(sender, "cancel")
    assert any("nothing was submitted" in r for r in cancelled)
    assert len(stack.tickets()) == before


def test_wrong_code_then_right_one(stack: ChatStack, mail: SmtpServer) -> None:
    sender = new_sender()
    kind = RequestKind.DELETION
    summary = fill_form(stack, sender, kind, stack.say(sender, OPENERS[kind]))
    assert "Shall I submit it?" in summary[-1]
    stack.say(sender, "yes")
    reference = stack.tickets()[-1].reference
    code = mail.mailbox.code_for(reference)
    wrong = "000000" if code != "000000" else "111111"
    assert any("not right" in r and "4 tries left" in r for r in stack.say(sender, wrong))
    assert any("identity is confirmed" in r for r in stack.say(sender, code))


@pytest.mark.parametrize("question,topic", [
    ("What do you use my personal information for?", Topic.PURPOSE),
    ("Do you share my data with other companies?", Topic.THIRD_PARTY),
    ("How do you protect my personal data and how long do you keep it?", Topic.SECURITY),
    ("Do you collect sensitive information like my health or location data?", Topic.SENSITIVE_INFO),
    ("How can I make a request about my personal data?", Topic.HOW_TO_REQUEST),
    ("Is there a fee for getting a copy of my data?", Topic.FEE),
])
def test_each_question_is_answered_from_the_pack(stack: ChatStack, question: str, topic: Topic) -> None:
    replies = stack.say(new_sender(), question)
    text = "\n".join(replies)
    for statement in PACK.answers[topic]:
        assert statement.en in text, replies
        if statement.policy:  # the section it comes from, right after it
            assert f"{statement.en} (Source: our privacy policy, {PACK.cite(statement, Language.EN)}.)" in text


def test_fallback_rephrase_then_handoff_to_staff(stack: ChatStack) -> None:
    sender = new_sender()
    first = stack.say(sender, "zxqv blorp wug fnord")
    assert any("did not understand" in r for r in first), first
    second = stack.say(sender, "blah blah")
    assert any("pass your message to our privacy staff" in r for r in second), second
    replies = stack.say(sender, "yes")
    for detail in PACK.rule(RequestKind.INQUIRY).details:
        assert any(_asks_for(detail, r) for r in replies), replies
        replies = stack.say(sender, ANSWERS[detail.value])
    stack.say(sender, "yes")
    engine = make_engine(stack.database_url)
    with session_factory(engine)() as session:
        ticket = session.scalars(select(Ticket).order_by(Ticket.id.desc()).limit(1)).one()
        assert ticket.kind == "inquiry"
        assert "blorp" in ticket.messages[0].body and "blah" in ticket.messages[0].body
    engine.dispose()


def test_out_of_scope_is_redirected(stack: ChatStack) -> None:
    replies = stack.say(new_sender(), "my license key for your software does not work")
    assert any("only help with questions and requests about personal information" in r for r in replies), replies
    # A vague privacy question can land here too: the visitor is told how to put it, and where else to go.
    assert any("say it in other words" in r and "contact details for that product or service" in r
               for r in replies), replies
    # The policy's privacy contact is not offered as a general support line.
    assert not any("support@itosoft.com" in r for r in replies), replies


def test_socketio_channel(stack: ChatStack) -> None:
    import socketio

    received: list[str] = []
    client = socketio.Client()
    client.on("bot_uttered", lambda data: received.append(data.get("text", "")))
    client.connect(stack.rasa_url, socketio_path="/socket.io", transports=["websocket"])
    try:
        client.emit("session_request", {"session_id": new_sender()})
        client.sleep(0.5)
        client.emit("user_uttered", {"message": "hello", "session_id": client.get_sid()})
        for _ in range(100):
            if received:
                break
            client.sleep(0.1)
    finally:
        client.disconnect()
    assert any("privacy assistant" in text for text in received), received


def test_logs_hold_no_personal_data(stack: ChatStack) -> None:
    logs = " ".join(p.read_text(errors="replace") for p in Path(stack.logs).glob("*.log"))
    assert ANSWERS["email"] not in logs and ANSWERS["phone"] not in logs
