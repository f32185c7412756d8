"""Conversations live in the database (Rasa's SQL tracker store): a killed Rasa, or another Rasa process, carries
on the visitor's form where it was; Rasa's API asks for its token; retention removes old conversations.

Against the real Rasa server and action server, on SQLite and a real PostgreSQL server, with a real Redis.
"""

from __future__ import annotations

import itertools
import signal
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from privacy_desk import db
from privacy_desk.conversations import conversation_events
from privacy_desk.policy import load_pack
from privacy_desk.retention import run_retention
from tests.support.postgres import PostgresServer
from tests.support.redis import redis_server
from tests.support.smtp import SmtpServer
from tests.support.stack import ChatStack, chat_stack

pytestmark = pytest.mark.rasa
PACK = load_pack("itosoft")


def user_texts(tracker: dict) -> list[str]:
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


def test_rasa_api_asks_for_its_token(chat: ChatStack) -> None:
    conversation = f"test-{uuid.uuid4().hex[:12]}"
    chat.say(conversation, "hello")
    calls = [("POST", "/model/parse", {"text": "delete my data"}), ("GET", f"/conversations/{conversation}/tracker",
                                                                     None), ("GET", "/status", None)]
    for method, path, body in calls:
        for token in (None, "not-the-token"):
            refused = httpx.request(method, f"{chat.rasa_url}{path}", json=body,
                                    params={"token": token} if token else None, timeout=30)
            assert refused.status_code == 401, (path, token, refused.text[:200])
        allowed = httpx.request(method, f"{chat.rasa_url}{path}", json=body, params={"token": chat.api_token},
                                timeout=30)
        assert allowed.status_code == 200, (path, allowed.text[:200])
    # What a visitor says is not readable without it either, and is in the tracker with it.
    assert user_texts(chat.tracker(conversation)) == ["hello"]


def _half_a_form(chat: ChatStack, conversation: str) -> None:
    assert any("full name" in r for r in chat.say(conversation, "Please delete my personal data"))
    assert any("email address" in r for r in chat.say(conversation, "Hanako Suzuki"))


def _finish_the_form(chat: ChatStack, conversation: str, rasa_url: str) -> None:
    summary = chat.say(conversation, "hanako@example.jp", rasa_url=rasa_url)
    assert not any("full name" in r for r in summary), summary  # not asked again
    assert "Hanako Suzuki" in summary[-1] and "Shall I submit it?" in summary[-1]
    submitted = " ".join(chat.say(conversation, "yes", rasa_url=rasa_url))
    ticket = chat.tickets()[-1]
    assert ticket.reference in submitted and ticket.name == "Hanako Suzuki"


def test_a_killed_rasa_loses_nothing_on_postgresql(tmp_path: Path, chat_mail: SmtpServer,
                                                   postgres: PostgresServer) -> None:
    database_url = postgres.create_database("conversations")
    with chat_stack(tmp_path, chat_mail.port, database_url=database_url) as chat:
        conversation = f"test-{uuid.uuid4().hex[:12]}"
        _half_a_form(chat, conversation)
        # The process that held the conversation dies without a chance to save anything more.
        assert chat.rasa is not None and chat.rasa.process is not None
        chat.rasa.process.send_signal(signal.SIGKILL)
        chat.rasa.process.wait(timeout=30)
        with chat.another_rasa() as restarted:
            assert user_texts(chat.tracker(conversation, restarted.url))[-1] == "Hanako Suzuki"
            _finish_the_form(chat, conversation, restarted.url)
        assert len(chat.tickets()) == 1


def test_two_rasa_processes_share_conversations_and_keep_turns_in_order(tmp_path: Path,
                                                                        chat_mail: SmtpServer) -> None:
    with redis_server(tmp_path) as redis_url, \
            chat_stack(tmp_path, chat_mail.port, lock_store_url=redis_url) as chat, \
            chat.another_rasa() as second:
        # One form, its turns taken by the two processes in turn.
        conversation = f"test-{uuid.uuid4().hex[:12]}"
        assert any("full name" in r for r in chat.say(conversation, "Please delete my personal data"))
        assert any("email address" in r for r in chat.say(conversation, "Hanako Suzuki", rasa_url=second.url))
        _finish_the_form(chat, conversation, chat.rasa_url)
        assert len(chat.tickets()) == 1

        # Turns of one conversation sent to both processes at once: the lock lets one in at a time, so every
        # turn is recorded whole (its message, then the bot's actions) before the next begins.
        busy = f"test-{uuid.uuid4().hex[:12]}"
        texts = [f"hello {n}" for n in range(6)]
        threads = [threading.Thread(target=chat.say, args=(busy, text),
                                    kwargs={"rasa_url": (chat.rasa_url, second.url)[n % 2]})
                   for n, text in enumerate(texts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        events = [e for e in chat.tracker(busy)["events"] if e["event"] in {"user", "action"}]
        assert sorted(e["text"] for e in events if e["event"] == "user") == texts
        for before, after in itertools.pairwise(events):
            if before["event"] == "user":
                assert after["event"] == "action", "a turn began before the last one was recorded"


def test_retention_removes_old_conversations_and_keeps_recent_ones(chat: ChatStack) -> None:
    old, recent = (f"test-{uuid.uuid4().hex[:12]}" for _ in range(2))
    chat.say(old, "Please delete my personal data")
    chat.say(old, "Hanako Suzuki")
    chat.say(recent, "hello")
    engine = db.make_engine(chat.database_url)
    try:
        sessions = db.session_factory(engine)
        with db.transaction(sessions) as session:
            # The old conversation's last turn was a retention period and a day ago.
            age = timedelta(days=PACK.retention_days + 1).total_seconds()
            session.execute(update(conversation_events).where(conversation_events.c.sender_id == old)
                            .values(timestamp=conversation_events.c.timestamp - age))
        with db.transaction(sessions) as session:
            report = run_retention(session, PACK)
        assert report.conversations == 1
    finally:
        engine.dispose()
    assert user_texts(chat.tracker(old)) == []
    assert user_texts(chat.tracker(recent)) == ["hello"]
