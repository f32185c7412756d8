"""Exactly once under SIGKILL: 200 messages through a real IMAP server while the poller is killed 20+ times."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from privacy_desk.db import make_engine, migrate, session_factory
from privacy_desk.models import MailboxState, Message, Ticket
from tests.mail.builders import mail
from tests.support.imap import ImapServer
from tests.support.stack import ChatStack, app_env

pytestmark = pytest.mark.rasa
MESSAGES = 200
KILLS = 22
REQUESTS = [
    ("Delete my data", "Please delete my account and erase all my personal data."),
    ("Unsubscribe", "Please stop sending me your newsletter and seminar invitations."),
    ("Disclosure request", "Please send me a copy of all personal data you hold about me."),
    ("Third parties", "Please stop providing my personal data to your partner companies and other third parties."),
]
QUESTION = ("Question", "How long do you keep my personal data and how do you protect it?")
MACHINE = ("Out of office", "I am away until Monday.")


def build(index: int) -> tuple[str, bytes, str]:
    message_id = make_msgid(idstring=f"k{index}", domain="example.jp")
    sender = f"kill-{index}@example.jp"
    if index % 10 == 9:
        subject, body = MACHINE
        return message_id, mail(body.encode(), sender=sender, subject=subject, message_id=message_id,
                                extra={"Auto-Submitted": "auto-replied"}), "machine"
    if index % 10 == 8:
        subject, body = QUESTION
        return message_id, mail(body.encode(), sender=sender, subject=subject, message_id=message_id), "question"
    subject, body = REQUESTS[index % len(REQUESTS)]
    return message_id, mail(body.encode(), sender=sender, subject=subject, message_id=message_id), "request"


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(imap: ImapServer, chat: ChatStack, tmp_path) -> None:
    rng = random.Random(20261123)
    mailbox = imap.new_mailbox("KillTest")
    database_url = f"sqlite:///{tmp_path / 'kill.db'}"
    migrate(database_url)
    env = {**app_env(database_url, 1, tmp_path), **imap.env(mailbox, idle_seconds=1), "RASA_URL": chat.rasa_url}
    messages = [build(i) for i in range(MESSAGES)]

    def feed() -> None:  # the mail keeps arriving while the poller is killed
        for _, raw, _ in messages:
            imap.append(raw, mailbox)
            time.sleep(rng.uniform(0, 0.03))

    feeder = threading.Thread(target=feed)
    feeder.start()
    command = [sys.executable, "-m", "desk_app", "mail", "poll"]
    log = open(tmp_path / "poller.log", "ab")  # noqa: SIM115
    kills = 0
    try:
        while kills < KILLS:
            poller = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            time.sleep(rng.uniform(0.3, 2.5))
            poller.send_signal(signal.SIGKILL)
            poller.wait()
            kills += 1
        feeder.join()
        poller = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        engine = make_engine(database_url)
        sessions = session_factory(engine)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with sessions() as s:
                state = s.get(MailboxState, mailbox)
                if state is not None and state.last_uid >= MESSAGES:
                    break
            time.sleep(0.5)
        poller.terminate()
        poller.wait(timeout=20)
    finally:
        log.close()
    assert kills >= 20

    with sessions() as s:
        assert s.get(MailboxState, mailbox).last_uid == MESSAGES  # every message was processed
        for message_id, _, kind in messages:
            stored = s.scalar(select(func.count(Message.id)).where(Message.message_id == message_id))
            tickets = s.scalar(select(func.count(Ticket.id)).join(Message, Message.ticket_id == Ticket.id)
                               .where(Message.message_id == message_id))
            replies = s.scalar(select(func.count(Message.id)).where(Message.direction == "out",
                                                                    Message.in_reply_to == message_id))
            if kind == "request":
                assert (stored, tickets, replies) == (1, 1, 1), message_id
            elif kind == "question":
                assert (stored, tickets, replies) == (1, 0, 1), message_id
            else:
                assert (stored, tickets, replies) == (0, 0, 0), message_id
        assert s.scalar(select(func.count(Ticket.id))) == sum(1 for *_, k in messages if k == "request")
    engine.dispose()
    assert os.path.getsize(tmp_path / "poller.log") > 0
