"""Command: `run`, everything `make run` starts, under one supervisor."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from desk_app.cli.base import App, cli, pass_app, safe_url
from privacy_desk import db
from privacy_desk.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from desk_app.supervisor import Process


@cli.command("run")
@click.option("--only", metavar="NAME,...", help="Start only these (rasa, actions, redis, chat, web, outbox, "
              "housekeeping, mail), e.g. rasa,actions on a machine that only serves Rasa.")
@pass_app
def run(app: App, only: str | None) -> None:
    """Start privacy-desk: Rasa, the action server, the chat page and the outbox worker (and the mail poller)."""
    import os

    from desk_app.rasa import ensure_model
    from desk_app.supervisor import InternalSecrets, planned_processes, supervise, write_config
    from privacy_desk import keys

    settings = app.settings
    db.migrate(settings.database_url)
    click.echo("checking the NLU model (trains once when intents/, bot/ or config.yml changed) ...")
    model = ensure_model(quiet=False)
    secrets = InternalSecrets(keys.action_server_token(settings), keys.rasa_api_token(settings),
                              keys.lock_store_password(settings) if settings.starts_redis else "")
    processes, notes = planned_processes(settings, str(model), secrets)
    if only:
        processes = chosen(processes, only)
    click.echo(f"policy pack in force: {app.pack.id} ({app.pack.company.name.en})")
    click.echo(f"database: {safe_url(settings.database_url)}")
    workers = [p.name for p in processes if p.name.startswith("rasa")]
    click.echo(f"chat page: http://127.0.0.1:{settings.chat_port}/  ({len(workers)} Rasa process(es) from "
               f"{settings.rasa_url}; conversations in the database"
               + (f", turns kept in order through Redis at {safe_url(settings.lock_store_url)})"
                  if settings.lock_store_url else ")"))
    click.echo(f"staff app: http://127.0.0.1:{settings.web_port}/  (add an account: privacy-desk staff add NAME "
               "--role admin)")
    click.echo(f"outgoing mail: SMTP {settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})")
    for note in notes:
        click.echo(note)
    config = write_config(processes, settings.data_dir)
    click.echo(f"logs: {settings.data_dir / 'logs'}/NAME.log; supervisorctl -c {config} status|restart NAME")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false",
           "ACTION_ENDPOINT_URL": settings.action_endpoint_url,
           "PYTHONPATH": str(PROJECT_ROOT)}
    supervise(config, env)


def chosen(processes: list[Process], only: str) -> list[Process]:
    """The processes `--only` names; rasa stands for every Rasa worker, and brings the Redis they share."""
    wanted = {name.strip() for name in only.split(",") if name.strip()}
    if "rasa" in wanted:
        wanted.add("redis")
    known = {p.name.split("-")[0] for p in processes} | {"rasa", "redis", "mail"}
    if unknown := wanted - known:
        raise click.BadParameter(f"no process called {', '.join(sorted(unknown))}; choose from "
                                 f"{', '.join(sorted(known))}", param_hint="--only")
    return [p for p in processes if p.name.split("-")[0] in wanted]
