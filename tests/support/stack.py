"""The chat stack on loopback for tests and benchmarks: action server, Rasa, outbox worker, chat page."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from desk_app.rasa import RasaServer, free_port, rasa_server, store_env
from desk_app.supervisor import InternalSecrets, planned_processes
from privacy_desk import db
from privacy_desk.keys import rasa_api_token
from privacy_desk.models import Ticket
from privacy_desk.settings import PROJECT_ROOT, Settings


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def background(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with open(log, "ab") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass
class ChatStack:
    rasa_url: str
    database_url: str
    env: dict[str, str]
    logs: Path
    api_token: str
    action_url: str
    action_token: str
    stores: dict[str, str]
    rasa: RasaServer | None = None

    def another_rasa(self, log_name: str = "rasa-2.log") -> AbstractContextManager[RasaServer]:
        """One more Rasa process on the same stores and action server (a restart, or a second worker)."""
        return rasa_server(free_port(), action_url=self.action_url, log_file=self.logs / log_name,
                           action_token=self.action_token, api_token=self.api_token, stores=self.stores)

    def tracker(self, conversation: str, rasa_url: str | None = None) -> dict:
        response = httpx.get(f"{rasa_url or self.rasa_url}/conversations/{conversation}/tracker",
                             params={"token": self.api_token}, timeout=30)
        response.raise_for_status()
        return response.json()

    def tickets(self) -> list[Ticket]:
        engine = db.make_engine(self.database_url)
        try:
            with db.session_factory(engine)() as session:
                return list(session.scalars(select(Ticket).order_by(Ticket.id)))
        finally:
            engine.dispose()

    def say(self, sender: str, message: str, metadata: dict | None = None, rasa_url: str | None = None) -> list[str]:
        body: dict = {"sender": sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        response = httpx.post(f"{rasa_url or self.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return [m["text"] for m in response.json() if "text" in m]


def app_env(database_url: str, smtp_port: int, data_dir: Path, policy: str = "itosoft") -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "PRIVACY_POLICY": policy, "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none", "MAIL_FROM": "privacy@itosoft.example.com",
            "PRIVACY_DESK_DATA": str(data_dir), "SECRET_KEY": "test-secret-key",
            "PRIVACY_DESK_ENV_FILE": str(data_dir / "absent.env"), "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONPATH": str(PROJECT_ROOT)}


@contextmanager
def chat_stack(workdir: Path, smtp_port: int, policy: str = "itosoft", database_url: str | None = None,
               lock_store_url: str = "") -> Iterator[ChatStack]:
    """Conversations in the app's database (Rasa's SQL tracker store), as `run` keeps them; with
    `lock_store_url` (Redis), several Rasa processes can share them."""
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{workdir / 'chat.db'}"
    db.migrate(database_url)
    env = app_env(database_url, smtp_port, workdir, policy)
    settings = Settings.from_mapping(env)
    stores = store_env(settings.tracker_store_url, lock_store_url)
    api_token = rasa_api_token(settings)
    action_port = free_port()
    with ExitStack() as stack:
        # The action server exactly as `privacy-desk run` starts it (command and environment).
        token = secrets.token_hex(16)
        only_actions = Settings.from_mapping({"ACTION_SERVER_PORT": str(action_port), "RASA_WORKERS": "1"})
        planned, _ = planned_processes(only_actions, "-", InternalSecrets(action_token=token))
        action_server = next(p for p in planned if p.name == "actions")
        actions = stack.enter_context(background(action_server.command, {**env, **action_server.env},
                                                 workdir / "actions.log"))
        wait_until_up(f"http://127.0.0.1:{action_port}/health", actions)
        stack.enter_context(background([sys.executable, "-m", "desk_app", "outbox", "run", "--interval", "0.2"],
                                       env, workdir / "outbox.log"))
        action_url = f"http://127.0.0.1:{action_port}/webhook"
        rasa = stack.enter_context(rasa_server(free_port(), action_url=action_url, log_file=workdir / "rasa.log",
                                               action_token=token, api_token=api_token, stores=stores))
        yield ChatStack(rasa.url, database_url, env, workdir, api_token, action_url, token, stores, rasa)
