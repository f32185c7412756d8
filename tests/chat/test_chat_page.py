"""The chat page chooses the conversation (a signed random id in a cookie): a visitor cannot join another's.

Against the real Rasa server and action server; the page's proxy runs in-process (Starlette's test client).
"""

from __future__ import annotations

from starlette.testclient import TestClient

from bot.webchat import CONVERSATION_COOKIE, conversation_of, create_app, sign
from tests.support.stack import ChatStack

KEY = b"k" * 32


def user_texts(chat: ChatStack, conversation: str) -> list[str]:
    tracker = chat.tracker(conversation)
    return [e.get("text") for e in tracker["events"] if e["event"] == "user"]


def test_the_page_chooses_the_conversation_and_keeps_it(chat: ChatStack) -> None:
    with TestClient(create_app([chat.rasa_url], KEY)) as visitor:
        first = visitor.post("/api/chat", json={"message": "I want you to delete my data"})
        assert first.status_code == 200 and first.json()
        cookie = first.cookies.get(CONVERSATION_COOKIE)
        assert cookie and "httponly" in first.headers["set-cookie"].lower()
        conversation = conversation_of(KEY, cookie)
        assert conversation and len(conversation) >= 24
        second = visitor.post("/api/chat", json={"message": "Hanako Suzuki"})
        assert second.status_code == 200 and CONVERSATION_COOKIE not in second.cookies  # the same one goes on
    assert user_texts(chat, conversation) == ["I want you to delete my data", "Hanako Suzuki"]


def test_naming_or_forging_another_conversation_does_not_join_it(chat: ChatStack) -> None:
    with TestClient(create_app([chat.rasa_url], KEY)) as owner:
        owner.post("/api/chat", json={"message": "hello"})
        victim = conversation_of(KEY, owner.cookies.get(CONVERSATION_COOKIE))
    assert victim
    with TestClient(create_app([chat.rasa_url], KEY)) as intruder:
        named = intruder.post("/api/chat", json={"sender": victim, "message": "intruder one"})
        assert named.status_code == 200 and conversation_of(KEY, named.cookies.get(CONVERSATION_COOKIE)) != victim
    with TestClient(create_app([chat.rasa_url], KEY), cookies={CONVERSATION_COOKIE: f"{victim}.forged"}) as forger:
        forged = forger.post("/api/chat", json={"message": "intruder two"})
        assert conversation_of(KEY, forged.cookies.get(CONVERSATION_COOKIE)) not in {None, victim}
    # Signed with another installation's key: not ours either.
    assert conversation_of(KEY, sign(b"x" * 32, victim)) is None
    assert user_texts(chat, victim) == ["hello"]


def test_bad_requests_are_refused() -> None:
    with TestClient(create_app("http://127.0.0.1:9", KEY)) as client:
        assert client.post("/api/chat", content=b"not json").status_code == 400
        assert client.post("/api/chat", json={"message": "x" * 6000}).status_code == 400
        assert client.post("/api/chat", json=["message"]).status_code == 400
        assert client.post("/api/chat", json={"message": "hi"}).status_code == 503  # nobody listens on port 9
