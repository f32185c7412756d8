"""Command: `run`, everything `make run` starts, under one supervisor."""

from __future__ import annotations

import sys

import click

from desk_app.cli.base import App, cli, pass_app, safe_url
from privacy_desk import db
from privacy_desk.settings import PROJECT_ROOT


@cli.command("run")
@pass_app
def run(app: App) -> None:
    """Start privacy-desk: Rasa, the action server, the chat page and the outbox worker (and the mail poller)."""
    import os

    from desk_app.rasa import ensure_model
    from desk_app.supervisor import planned_processes, supervise
    from privacy_desk.keys import action_server_token

    settings = app.settings
    db.migrate(settings.database_url)
    click.echo("checking the NLU model (trains once when intents/, bot/ or config.yml changed) ...")
    model = ensure_model(quiet=False)
    processes, notes = planned_processes(settings, str(model), action_server_token(settings))
    click.echo(f"policy pack in force: {app.pack.id} ({app.pack.company.name.en})")
    click.echo(f"database: {safe_url(settings.database_url)}")
    click.echo(f"chat page: http://127.0.0.1:{settings.chat_port}/  (Rasa API: {settings.rasa_url})")
    click.echo(f"staff app: http://127.0.0.1:{settings.web_port}/  (add an account: privacy-desk staff add NAME "
               "--role admin)")
    click.echo(f"outgoing mail: SMTP {settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})")
    for note in notes:
        click.echo(note)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false",
           "ACTION_ENDPOINT_URL": settings.action_endpoint_url,
           "PYTHONPATH": str(PROJECT_ROOT)}
    sys.exit(supervise(processes, env))
