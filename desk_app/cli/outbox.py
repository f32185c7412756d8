"""Commands: `outbox run` and `outbox send` (outgoing mail)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from desk_app.cli.base import App, cli, pass_app

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
    import logging
    import signal
    import threading

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        _outbox(app).run_forever(stop, interval)
    except KeyboardInterrupt:
        stop.set()


@outbox_group.command("send")
@pass_app
def outbox_send(app: App) -> None:
    """Send what is due now, once."""
    click.echo(f"sent {_outbox(app).run_once()} message(s)")
