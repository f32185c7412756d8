"""What `privacy-desk run` starts, and the supervision of those processes (supervisord).

supervisord restarts a process that dies (a crashed or killed Rasa is back in half a minute, and the visitor's
conversation with it, from the tracker store), writes each process's output to its own rotated log, and lets
an operator look and restart with `supervisorctl -c var/run/supervisord.conf status|restart NAME`.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from desk_app.rasa import server_command, store_env
from privacy_desk.errors import ConfigError
from privacy_desk.settings import PROJECT_ROOT, Settings


@dataclass(frozen=True)
class Process:
    name: str
    command: list[str]
    env: Mapping[str, str] = field(default_factory=dict)  # on top of the shared environment


@dataclass(frozen=True)
class InternalSecrets:
    """What the internal servers ask of each other; each goes only to the processes that use it."""

    action_token: str = ""  # Rasa -> action server
    api_token: str = ""  # mail poller, CLI -> Rasa's HTTP API
    lock_password: str = ""  # Rasa -> the Redis that run starts


def planned_processes(settings: Settings, model: str,
                      secrets: InternalSecrets = InternalSecrets()) -> tuple[list[Process], list[str]]:
    """The processes for these settings, and notes on what is not started and how to enable it.

    Without an action token the action server refuses every call."""
    token = {"ACTION_SERVER_TOKEN": secrets.action_token}
    python = sys.executable
    cli = [python, "-m", "desk_app"]
    stores = store_env(settings.tracker_store_url, settings.lock_store_url, secrets.lock_password)
    processes = [
        # rasa-sdk listens on SANIC_HOST (its default is every interface): only Rasa calls it, over loopback.
        Process("actions", [python, "-m", "rasa_sdk", "--actions", "bot.actions", "--port",
                            str(settings.action_server_port)], {"SANIC_HOST": settings.action_server_host, **token}),
    ]
    if settings.starts_redis:
        if not secrets.lock_password:
            raise ConfigError("RASA_WORKERS > 1 starts a Redis, and it needs a password (InternalSecrets)")
        # Locks only: nothing to persist, and nobody but Rasa on this machine needs it.
        processes.append(Process("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(settings.redis_port),
                                           "--save", "", "--appendonly", "no", "--requirepass",
                                           secrets.lock_password]))
    workers = settings.local_rasa_urls
    for number, url in enumerate(workers, start=1):
        name = "rasa" if len(workers) == 1 else f"rasa-{number}"
        port = int(url.rsplit(":", 1)[1])
        processes.append(Process(name, server_command(model, port, secrets.api_token, settings.rasa_host),
                                 {**token, **stores}))
    processes += [
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


def _quoted(name: str, value: str) -> str:
    # supervisord expands %(name)s in its values and splits environment= without escapes: a value is wrapped in
    # one kind of quote it does not contain, and loses any quote at its ends.
    quote = next((q for q in "\"'" if q not in value), None)
    quoted_at_an_end = bool(value) and (value[0] in "\"'" or value[-1] in "\"'")
    if quote is None or quoted_at_an_end or "\n" in value:
        raise ConfigError(f"{name} cannot be handed to a supervised process: it holds a newline or both kinds "
                          "of quote, or begins or ends with one")
    return quote + value.replace("%", "%%") + quote


def supervisord_config(processes: list[Process], run_dir: Path, log_dir: Path) -> str:
    """The supervisord configuration for these processes (pure: the caller writes it)."""
    lines = [
        "[supervisord]", "nodaemon=true", f"pidfile={run_dir / 'supervisord.pid'}",
        f"logfile={log_dir / 'supervisord.log'}", "logfile_maxbytes=10MB", "logfile_backups=3",
        f"directory={PROJECT_ROOT}", "",
        "[unix_http_server]", f"file={run_dir / 'supervisor.sock'}", "chmod=0700", "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
        "[supervisorctl]", f"serverurl=unix://{run_dir / 'supervisor.sock'}", "",
    ]
    for process in processes:
        lines += [
            f"[program:{process.name}]",
            "command=" + shlex.join(process.command).replace("%", "%%"),
            f"directory={PROJECT_ROOT}",
            "autorestart=true",
            # Rasa loads its model for half a minute before it answers; a process up for 5 s has started.
            "startsecs=5", "startretries=5",
            # Rasa and Sanic start children of their own: stop and kill the whole group.
            "stopasgroup=true", "killasgroup=true", "stopwaitsecs=20",
            "redirect_stderr=true", f"stdout_logfile={log_dir / (process.name + '.log')}",
            "stdout_logfile_maxbytes=10MB", "stdout_logfile_backups=3",
        ]
        if process.env:
            lines.append("environment=" + ",".join(f"{k}={_quoted(k, v)}" for k, v in process.env.items()))
        lines.append("")
    return "\n".join(lines)


def write_config(processes: list[Process], data_dir: Path) -> Path:
    """var/run/supervisord.conf, readable by its owner only: it holds the internal tokens."""
    run_dir, log_dir = data_dir / "run", data_dir / "logs"
    for folder in (run_dir, log_dir):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = run_dir / "supervisord.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(supervisord_config(processes, run_dir, log_dir))
    os.chmod(path, 0o600)
    return path


def supervise(config: Path, env: dict[str, str]) -> None:
    """Become supervisord (in the foreground), so Ctrl-C and SIGTERM reach it and it stops every process."""
    os.execve(sys.executable, [sys.executable, "-m", "supervisor.supervisord", "-n", "-c", str(config)], env)
