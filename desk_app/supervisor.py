"""What `privacy-desk run` starts, and the supervision of those processes (honcho)."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from privacy_desk.settings import PROJECT_ROOT, Settings


@dataclass(frozen=True)
class Process:
    name: str
    command: list[str]
    env: Mapping[str, str] = field(default_factory=dict)  # on top of the shared environment


def planned_processes(settings: Settings, model: str, action_token: str = "") -> tuple[list[Process], list[str]]:
    """The processes for these settings, and notes on what is not started and how to enable it.

    `action_token`: what Rasa shows the action server (only those two processes get it); without one the action
    server refuses every call."""
    token = {"ACTION_SERVER_TOKEN": action_token}
    python = sys.executable
    cli = [python, "-m", "desk_app"]
    rasa_port = settings.rasa_url.rsplit(":", 1)[-1].split("/")[0]
    processes = [
        # rasa-sdk listens on SANIC_HOST (its default is every interface): only Rasa calls it, over loopback.
        Process("actions", [python, "-m", "rasa_sdk", "--actions", "bot.actions", "--port",
                            str(settings.action_server_port)], {"SANIC_HOST": settings.action_server_host, **token}),
        Process("rasa", [str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"), "run", "--enable-api", "--model", model,
                         "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
                         "--interface", "127.0.0.1", "--port", rasa_port, "--cors", "*"], token),
        Process("chat", [*cli, "chat-page", "--port", str(settings.chat_port)]),
        Process("web", [*cli, "web", "--port", str(settings.web_port)]),
        Process("outbox", [*cli, "outbox", "run"]),
        # Retention now and then daily: personal data past the pack's period goes without anyone remembering.
        Process("housekeeping", [*cli, "retention", "schedule", "--every", "24"]),
    ]
    notes = []
    if settings.imap_host:
        processes.append(Process("mail", [*cli, "mail", "poll"]))
    else:
        notes.append("mail poller: not started (set IMAP_HOST, IMAP_USER and IMAP_PASSWORD in .env to read the "
                     "support mailbox)")
    return processes, notes


def supervise(processes: list[Process], env: dict[str, str]) -> int:
    from honcho.manager import Manager

    manager = Manager()
    for process in processes:
        manager.add_process(process.name, shlex.join(process.command), env={**env, **process.env},
                            cwd=str(PROJECT_ROOT))
    manager.loop()
    return int(manager.returncode or 0)
