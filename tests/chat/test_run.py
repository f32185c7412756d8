"""`privacy-desk run` as an operator starts it: supervisord brings back a Rasa killed in the middle of a visitor's
request form, the visitor finishes that form through the chat page without repeating an answer, and the ticket
is opened once; with RASA_WORKERS=2 it starts Redis, and the chat page carries a conversation on the other
process while the killed one comes back.

Against the real processes `run` starts (Rasa, the action server, the chat page, the outbox, Redis).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.webchat import CONVERSATION_COOKIE, rasa_order
from desk_app.rasa import free_port, is_up
from privacy_desk import db
from privacy_desk.keys import rasa_api_token
from privacy_desk.models import Ticket
from privacy_desk.settings import PROJECT_ROOT, Settings
from tests.support.smtp import SmtpServer
from tests.support.stack import app_env

pytestmark = pytest.mark.rasa


def ports_in_a_row(count: int) -> int:
    """The first of `count` consecutive free loopback ports (the Rasa workers take one each)."""
    for _ in range(50):
        first = free_port()
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports")


@dataclass
class Deployment:
    settings: Settings
    config: Path
    chat_url: str
    process: subprocess.Popen

    def supervisorctl(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "supervisor.supervisorctl", "-c", str(self.config), *args],
                              capture_output=True, text=True, timeout=60)
        return done.stdout.strip()

    def pid(self, program: str) -> int:
        answer = self.supervisorctl("pid", program)
        return int(answer) if answer.isdigit() else 0

    def wait_for_rasa(self, url: str, program: str, not_pid: int = 0, timeout: float = 300) -> int:
        """Wait until `program` runs (under a pid other than `not_pid`) and answers at `url`; its pid."""
        token = rasa_api_token(self.settings)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "privacy-desk run exited"
            pid = self.pid(program)
            if pid and pid != not_pid and is_up(url, token=token):
                return pid
            time.sleep(1)
        raise AssertionError(f"{program} was not back at {url} within {timeout} s")

    def tickets(self) -> list[Ticket]:
        engine = db.make_engine(self.settings.database_url)
        try:
            with db.session_factory(engine)() as session:
                return list(session.scalars(select(Ticket).order_by(Ticket.id)))
        finally:
            engine.dispose()


@contextmanager
def deployed(workdir: Path, smtp_port: int, workers: int) -> Iterator[Deployment]:
    env = {**app_env(f"sqlite:///{workdir / 'desk.db'}", smtp_port, workdir),
           "RASA_URL": f"http://127.0.0.1:{ports_in_a_row(workers)}", "RASA_WORKERS": str(workers),
           "ACTION_SERVER_PORT": str(free_port()), "CHAT_PORT": str(free_port()), "WEB_PORT": str(free_port()),
           "REDIS_PORT": str(free_port())}
    for name in ("IMAP_HOST", "REDIS_URL", "RASA_URLS", "TRACKER_STORE_URL"):
        env.pop(name, None)
    settings = Settings.from_mapping(env)
    with open(workdir / "run.log", "ab") as log:
        # Its own session: whatever is left of it can be stopped as one group.
        process = subprocess.Popen([sys.executable, "-m", "desk_app", "run"], cwd=PROJECT_ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deployment = Deployment(settings, workdir / "run" / "supervisord.conf", f"http://127.0.0.1:{settings.chat_port}",
                            process)
    try:
        for number, url in enumerate(settings.rasa_urls, start=1):
            deployment.wait_for_rasa(url, "rasa" if workers == 1 else f"rasa-{number}")
        yield deployment
    finally:
        process.terminate()  # supervisord stops every process it started
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def chat_turn(visitor: httpx.Client, message: str) -> list[str]:
    deadline = time.monotonic() + 120
    while True:
        answer = visitor.post("/api/chat", json={"message": message})
        if answer.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(1)  # every Rasa process is down for the moment
    assert answer.status_code == 200, answer.text
    return [m["text"] for m in answer.json()]


def half_a_form(visitor: httpx.Client) -> str:
    """A deletion request up to the name; the conversation id the chat page chose."""
    assert any("full name" in r for r in chat_turn(visitor, "Please delete my personal data"))
    assert any("email address" in r for r in chat_turn(visitor, "Hanako Suzuki"))
    return visitor.cookies[CONVERSATION_COOKIE].partition(".")[0]


def finish_the_form(visitor: httpx.Client, deployment: Deployment) -> None:
    summary = chat_turn(visitor, "hanako@example.jp")
    assert not any("full name" in r for r in summary), summary  # the name given before the kill is remembered
    assert "Hanako Suzuki" in summary[-1] and "Shall I submit it?" in summary[-1]
    submitted = " ".join(chat_turn(visitor, "yes"))
    tickets = deployment.tickets()
    assert len(tickets) == 1 and tickets[0].name == "Hanako Suzuki" and tickets[0].reference in submitted


def test_run_brings_back_a_killed_rasa_and_the_visitor_finishes_the_form(tmp_path: Path,
                                                                          chat_mail: SmtpServer) -> None:
    with deployed(tmp_path, chat_mail.port, workers=1) as deployment, \
            httpx.Client(base_url=deployment.chat_url, timeout=60) as visitor:
        assert deployment.pid("redis") == 0  # one process needs no lock store
        half_a_form(visitor)
        killed = deployment.pid("rasa")
        os.kill(killed, signal.SIGKILL)
        deployment.wait_for_rasa(deployment.settings.rasa_url, "rasa", not_pid=killed)
        finish_the_form(visitor, deployment)


def test_run_with_two_workers_carries_on_while_one_is_killed(tmp_path: Path, chat_mail: SmtpServer) -> None:
    with deployed(tmp_path, chat_mail.port, workers=2) as deployment, \
            httpx.Client(base_url=deployment.chat_url, timeout=60) as visitor:
        assert deployment.pid("redis") > 0  # the lock store the two share
        conversation = half_a_form(visitor)
        urls = list(deployment.settings.rasa_urls)
        holder = urls.index(rasa_order(conversation, urls)[0]) + 1
        killed = deployment.pid(f"rasa-{holder}")
        os.kill(killed, signal.SIGKILL)
        # The chat page goes on to the other process at once; the conversation is in the shared tracker store.
        finish_the_form(visitor, deployment)
        deployment.wait_for_rasa(urls[holder - 1], f"rasa-{holder}", not_pid=killed)
