"""Commands: `outbox run` and `outbox send` (outgoing mail)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from desk_app.cli.base import App, cli, pass_app, until_stopped

if TYPE_CHECKING:
    from privacy_desk.outbox import Outbox


@cli.group("outbox")
def outbox_group() -> None:
    """Outgoing mail."""


def _outbox(app: App) -> Outbox:
    return app.services.outbox()


@outbox_group.command("run")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between looks at the queue.")
@pass_app
def outbox_run(app: App, interval: float) -> None:
    """Send queued mail until stopped (SIGTERM or Ctrl-C), retrying with backoff."""
    outbox = _outbox(app)
    until_stopped(lambda stop: outbox.run_forever(stop, interval))


@outbox_group.command("send")
@pass_app
def outbox_send(app: App) -> None:
    """Send what is due now, once."""
    click.echo(f"sent {_outbox(app).run_once()} message(s)")
