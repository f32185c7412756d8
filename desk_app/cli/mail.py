"""Commands: `mail process`, `mail import` and `mail poll` (the email channel)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from desk_app.cli.base import App, cli, nlu_client, pass_app, until_stopped
from privacy_desk import db
from privacy_desk.errors import PrivacyDeskError

if TYPE_CHECKING:
    from mail_ingest.pipeline import MailPipeline


@cli.group("mail")
def mail_group() -> None:
    """The email channel."""


@contextmanager
def _mail_pipeline(app: App, start_rasa: bool = True) -> Iterator[MailPipeline]:
    from privacy_desk.classify import classify

    with ExitStack() as stack:
        nlu = nlu_client(stack, app.settings, start=start_rasa)
        stack.callback(app.services.close)
        yield app.services.mail_pipeline(lambda body, subject: classify(nlu, body, subject, "email"))


@mail_group.command("process")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Decide and show the reply; write nothing, send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def mail_process(app: App, file: Path, dry_run: bool, as_json: bool) -> None:
    """Run one raw RFC 5322 message (.eml) through the mail pipeline."""
    import json

    db.migrate(app.settings.database_url)
    with _mail_pipeline(app) as pipeline:
        decision = pipeline.process(file.read_bytes(), dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(decision.as_json(), ensure_ascii=False))
    else:
        click.echo(f"{decision.action}: {decision.reason}" + (f" ({decision.ticket})" if decision.ticket else ""))
        if decision.reply:
            click.echo(f"reply to {decision.reply['to']}: {decision.reply['subject']}\n\n{decision.reply['body']}")


@mail_group.command("import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True)
@pass_app
def mail_import(app: App, source: Path, dry_run: bool) -> None:
    """Process a folder of .eml files, or an mbox file, message by message."""
    import mailbox
    from collections import Counter

    if source.is_dir():
        messages = ((p.name, p.read_bytes()) for p in sorted(source.glob("*.eml")))
    else:
        box = mailbox.mbox(source, create=False)
        messages = ((f"{source.name}#{i + 1}", box.get_bytes(key)) for i, key in enumerate(box.keys()))
    db.migrate(app.settings.database_url)
    counts: Counter[str] = Counter()
    with _mail_pipeline(app) as pipeline:
        for name, raw in messages:
            decision = pipeline.process(raw, dry_run=dry_run)
            counts[decision.action] += 1
            click.echo(f"{name}: {decision.action}" + (f" {decision.ticket}" if decision.ticket else ""))
    click.echo("total: " + ", ".join(f"{n} {action}" for action, n in sorted(counts.items())))


@mail_group.command("poll")
@pass_app
def mail_poll(app: App) -> None:
    """Read the support mailbox (IMAP_* settings) until stopped: IDLE, or polling every 30 s."""
    import threading

    from mail_ingest.poller import ImapSource, Poller

    if not app.settings.imap_host:
        raise PrivacyDeskError("IMAP_HOST is not set: put IMAP_HOST, IMAP_USER and IMAP_PASSWORD in .env")
    db.migrate(app.settings.database_url)

    def poll(stop: threading.Event) -> None:
        # The installation's Rasa only: while it is down (starting, restarting) the poller keeps the mail and
        # tries again, rather than starting a private Rasa beside it.
        with _mail_pipeline(app, start_rasa=False) as pipeline:
            Poller(ImapSource(app.settings), pipeline, pipeline.engine, app.settings.imap_mailbox, stop,
                   idle_timeout=app.settings.imap_idle_seconds,
                   poll_interval=app.settings.imap_poll_seconds).run_forever()

    until_stopped(poll)
