"""The `privacy-desk` command. Errors are one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from privacy_desk import db
from privacy_desk.basis import Basis
from privacy_desk.decisions import due_date
from privacy_desk.errors import PrivacyDeskError
from privacy_desk.languages import Language
from privacy_desk.policy import PolicyPack, RequestKind, Topic, available_packs, load_pack, load_pack_file
from privacy_desk.replies import Purpose, ReplyChannel, ReplyRenderer, reply_context
from privacy_desk.settings import Settings, load_settings
from privacy_desk.staff import Role, StaffAccounts
from privacy_desk.status import TicketStatus
from privacy_desk.tickets import TicketFilter, TicketService, utcnow
from privacy_desk.workdays import local_date


class App:
    """What commands share, built on first use so `--help` and `policy check` need no database."""

    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @cached_property
    def pack(self) -> PolicyPack:
        return load_pack(self.settings.privacy_policy)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.session_factory(db.make_engine(self.settings.database_url))


pass_app = click.make_pass_decorator(App, ensure=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """privacy-desk: privacy inquiries by chat and email, under a company's privacy policy."""


# -- database ----------------------------------------------------------------------------------------------

@cli.group("db")
def db_group() -> None:
    """The ticket database."""


@db_group.command("migrate")
@pass_app
def db_migrate(app: App) -> None:
    """Create or upgrade the database schema (alembic upgrade head)."""
    db.migrate(app.settings.database_url)
    click.echo(f"database is at the latest schema ({_safe_url(app.settings.database_url)})")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- policy packs ------------------------------------------------------------------------------------------

@cli.group("policy")
def policy_group() -> None:
    """Policy packs (policies/*.yml)."""


@policy_group.command("check")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def policy_check(file: Path) -> None:
    """Validate a policy pack file; exit 0 when it is valid."""
    pack = load_pack_file(file)
    kinds = ", ".join(k.value for k in pack.requests)
    click.echo(f"{file}: valid policy pack {pack.id!r} ({pack.company.name.en}); request kinds: {kinds}")
    counts = Counter(statement.basis.value for _, statement in pack.statements())
    click.echo("customer-facing texts: " + ", ".join(f"{counts[b.value]} {b.value}" for b in Basis))
    for item in pack.to_confirm:
        click.echo(f"to confirm with the company: {item.field}: {item.note}")


@policy_group.command("list")
@pass_app
def policy_list(app: App) -> None:
    """The shipped packs, and which one is in force (PRIVACY_POLICY)."""
    for pack_id in available_packs():
        marker = "*" if pack_id == app.settings.privacy_policy else " "
        click.echo(f"{marker} {pack_id}: {load_pack(pack_id).company.name.en}")


# -- tickets -----------------------------------------------------------------------------------------------

@cli.group("tickets")
def tickets_group() -> None:
    """Request tickets."""


@tickets_group.command("list")
@click.option("--status", type=click.Choice([s.value for s in TicketStatus]))
@click.option("--kind", type=click.Choice([k.value for k in RequestKind]))
@click.option("--channel", type=click.Choice(["chat", "email", "staff"]))
@click.option("--overdue", is_flag=True, help="Only active tickets past their due date.")
@click.option("--search", help="A reference or an email address.")
@click.option("--limit", default=50, show_default=True)
@pass_app
def tickets_list(app: App, status: str | None, kind: str | None, channel: str | None, overdue: bool,
                 search: str | None, limit: int) -> None:
    """Tickets, soonest due first."""
    where = TicketFilter(
        status=TicketStatus(status) if status else None, kind=RequestKind(kind) if kind else None,
        channel=channel, overdue_on=local_date(utcnow(), app.pack.calendar) if overdue else None, search=search,
    )
    with app.sessions() as session:
        tickets = TicketService(session, app.pack).list_tickets(where, limit=limit)
        if not tickets:
            click.echo("no tickets")
        for t in tickets:
            click.echo(f"{t.reference}  {t.status:<22} {t.kind:<19} {t.channel:<6} {t.language}  due {t.due_date}")


@tickets_group.command("show")
@click.argument("reference")
@pass_app
def tickets_show(app: App, reference: str) -> None:
    """One ticket with its messages and audit trail."""
    with app.sessions() as session:
        t = TicketService(session, app.pack).get(reference)
        click.echo(f"{t.reference}  {t.kind}  status {t.status}  channel {t.channel}  language {t.language}")
        click.echo(f"policy {t.policy}  opened {t.created_at:%Y-%m-%d %H:%M} UTC  due {t.due_date}")
        confirmed = f"{t.identity_confirmed_at:%Y-%m-%d %H:%M} UTC" if t.identity_confirmed_at else "no"
        click.echo(f"identity confirmed: {confirmed}")
        for field in ("name", "email", "phone", "company", "division", "member_number", "address"):
            if getattr(t, field):
                click.echo(f"  {field}: {getattr(t, field)}")
        click.echo("messages:")
        for m in t.messages:
            arrow = "<-" if m.direction == "in" else "->"
            click.echo(f"  {arrow} {m.created_at:%Y-%m-%d %H:%M} {m.channel} [{m.delivery_state}] {m.subject or ''}")
            for line in m.body.splitlines()[:6]:
                click.echo(f"       {line}")
        click.echo("audit trail:")
        for e in t.events:
            click.echo(f"  {e.created_at:%Y-%m-%d %H:%M} {e.actor}: {e.action} {e.details}")


# -- replies -----------------------------------------------------------------------------------------------

@cli.command("render")
@click.option("--purpose", type=click.Choice([p.value for p in Purpose]), default="acknowledgement",
              show_default=True)
@click.option("--kind", type=click.Choice([k.value for k in RequestKind]), default="disclosure", show_default=True)
@click.option("--pack", "pack_id", help="Policy pack id (default: the one in force).")
@click.option("--channel", type=click.Choice([c.value for c in ReplyChannel]), default="email", show_default=True)
@click.option("--language", type=click.Choice([lang.value for lang in Language]), default="en", show_default=True)
@click.option("--topic", type=click.Choice([t.value for t in Topic]), default="purpose", show_default=True,
              help="For --purpose answer.")
@pass_app
def render(app: App, purpose: str, kind: str, pack_id: str | None, channel: str, language: str,
           topic: str) -> None:
    """Preview a reply with sample values."""
    pack = load_pack(pack_id) if pack_id else app.pack
    lang, request_kind = Language(language), RequestKind(kind)
    rule = pack.rule(request_kind)
    context = reply_context(
        pack, lang, kind=request_kind, reference="PRQ-2026-000123", due=due_date(utcnow(), rule, pack.calendar),
        customer_name="Taro Yamada", missing=list(rule.details), topic=Topic(topic), code="482913",
        code_minutes=30, ground=rule.refusal_grounds[0] if rule.refusal_grounds else None,
        subject="Question about my data", channel=ReplyChannel(channel),
    )
    if Purpose(purpose) is Purpose.REJECTED and not rule.refusal_grounds:
        # Staff reject such a request with their own reason, stated as the company's decision.
        context["staff_message"] = "We cannot identify any personal information registered under these details."
    reply = ReplyRenderer().render(Purpose(purpose), ReplyChannel(channel), lang, context)
    if reply.subject:
        click.echo(f"Subject: {reply.subject}\n")
    click.echo(reply.body, nl=False)


# -- NLU and chat -----------------------------------------------------------------------------------------

@cli.command("train")
def train() -> None:
    """Train the NLU and dialogue model, unless one for exactly these inputs is cached."""
    from privacy_desk.rasa import ensure_model

    click.echo(f"model: {ensure_model(quiet=False)}")


@cli.command("classify")
@click.option("--rasa-url", help="Rasa server to use (default: RASA_URL; one is started if none answers).")
@pass_app
def classify_command(app: App, rasa_url: str | None) -> None:
    """Classify JSON lines from stdin ({"text", "subject"?, "channel"?}); one JSON line out per line in."""
    import json

    from privacy_desk.classify import NluClient, NluRefused, classify
    from privacy_desk.rasa import free_port, is_up, rasa_server

    url = rasa_url or app.settings.rasa_url
    failures = 0
    with ExitStack() as stack:
        if not is_up(url):
            click.echo(f"no Rasa server answers at {url}; starting one for this command", err=True)
            url = stack.enter_context(rasa_server(free_port())).url
        nlu = NluClient(url)
        stack.callback(nlu.close)
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError('expected an object with a "text" string')
                channel = item.get("channel") or "chat"
                if channel not in {"chat", "email"}:
                    raise ValueError(f"channel must be chat or email, not {channel!r}")
                subject = item.get("subject") if isinstance(item.get("subject"), str) else None
                out = classify(nlu, item["text"], subject, channel).as_json()
            except (ValueError, NluRefused) as exc:
                failures += 1
                out = {"error": f"line {number}: {exc}"}
            click.echo(json.dumps(out, ensure_ascii=False))
            sys.stdout.flush()
    if failures:
        raise PrivacyDeskError(f"{failures} input line(s) could not be classified")


@cli.command("chat-page")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, help="Default: CHAT_PORT (8080).")
@pass_app
def chat_page(app: App, host: str, port: int | None) -> None:
    """Serve the website chat page (widget + proxy to Rasa's REST webhook)."""
    import uvicorn

    from bot.webchat import create_app

    uvicorn.run(create_app(app.settings.rasa_url), host=host, port=port or app.settings.chat_port,
                log_level="warning")


# -- staff -------------------------------------------------------------------------------------------------

@cli.command("web")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, help="Default: WEB_PORT (8081).")
@click.option("--ssl-certfile", type=click.Path(exists=True, dir_okay=False), help="Serve HTTPS with this certificate.")
@click.option("--ssl-keyfile", type=click.Path(exists=True, dir_okay=False), help="The certificate's private key.")
@pass_app
def web(app: App, host: str, port: int | None, ssl_certfile: str | None, ssl_keyfile: str | None) -> None:
    """Serve the staff review app (sign-in required for everything but /login and /health)."""
    import logging

    import uvicorn

    from staff_web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db.migrate(app.settings.database_url)
    # uvicorn's access log would write query strings (a searched email address): the app logs paths only.
    uvicorn.run(create_app(app.sessions, app.pack, app.settings.mail_from), host=host,
                port=port or app.settings.web_port, access_log=False, log_level="warning", proxy_headers=True,
                forwarded_allow_ips=app.settings.trusted_proxies, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)


@cli.group("staff")
def staff_group() -> None:
    """Staff accounts for the review app."""


@staff_group.command("add")
@click.argument("username")
@click.option("--name", "display_name", default="", help="The name shown in the app and the audit trail.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="staff", show_default=True)
@click.password_option(help="Prompted for (twice) when not given; read from stdin when it is not a terminal.")
@pass_app
def staff_add(app: App, username: str, display_name: str, role: str, password: str) -> None:
    """Create a staff account."""
    with db.transaction(app.sessions) as session:
        user = StaffAccounts(session).add(username, display_name, password, Role(role))
        click.echo(f"added {user.role} {user.username}")


@staff_group.command("list")
@pass_app
def staff_list(app: App) -> None:
    """List staff accounts."""
    from privacy_desk.staff import is_locked

    with app.sessions() as session:
        for user in StaffAccounts(session).all():
            state = "locked" if is_locked(user, utcnow()) else "active" if user.active else "disabled"
            click.echo(f"{user.username}\t{user.role}\t{state}\t{user.display_name}")


@staff_group.command("unlock")
@click.argument("username")
@pass_app
def staff_unlock(app: App, username: str) -> None:
    """Lift the lockout after repeated failed sign-ins."""
    with db.transaction(app.sessions) as session:
        StaffAccounts(session).unlock(username, actor="cli")
    click.echo(f"unlocked {username}")


@staff_group.command("disable")
@click.argument("username")
@pass_app
def staff_disable(app: App, username: str) -> None:
    """Stop an account from signing in (and end its sessions)."""
    with db.transaction(app.sessions) as session:
        StaffAccounts(session).set_active(username, False, actor="cli")
    click.echo(f"disabled {username}")


@cli.group("retention")
def retention_group() -> None:
    """Personal data retention."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be anonymised; change nothing.")
@pass_app
def retention_run(app: App, dry_run: bool) -> None:
    """Anonymise finished tickets (and loose mail) older than the policy pack's retention period."""
    from privacy_desk.retention import run_retention

    with db.transaction(app.sessions) as session:
        report = run_retention(session, app.pack, dry_run=dry_run)
        expired = 0 if dry_run else StaffAccounts(session).purge_expired_sessions()
    verb = "would anonymise" if dry_run else "anonymised"
    click.echo(f"retention {app.pack.retention_days} days (finished before {report.cutoff:%Y-%m-%d}): "
               f"{verb} {len(report.tickets)} tickets and {report.loose_messages} other messages")
    for reference in report.tickets:
        click.echo(f"  {reference}")
    if expired:
        click.echo(f"removed {expired} expired staff sessions")


# -- outgoing mail -----------------------------------------------------------------------------------------

@cli.group("outbox")
def outbox_group() -> None:
    """Outgoing mail."""


def _outbox(app: App):  # type: ignore[no-untyped-def]
    from privacy_desk.outbox import Outbox, SmtpSender

    return Outbox(app.sessions, SmtpSender(app.settings).send, app.settings.mail_from,
                  app.pack.company.name.en)


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


# -- mail --------------------------------------------------------------------------------------------------

@cli.group("mail")
def mail_group() -> None:
    """The email channel."""


@contextmanager
def _mail_pipeline(app: App) -> Iterator[Any]:
    from mail_ingest.pipeline import MailPipeline
    from privacy_desk.classify import NluClient, classify
    from privacy_desk.keys import secret_key
    from privacy_desk.own_mail import own_addresses
    from privacy_desk.rasa import free_port, is_up, rasa_server

    with ExitStack() as stack:
        url = app.settings.rasa_url
        if not is_up(url):
            click.echo(f"no Rasa server answers at {url}; starting one for this command", err=True)
            url = stack.enter_context(rasa_server(free_port())).url
        nlu = NluClient(url)
        stack.callback(nlu.close)
        engine = db.make_engine(app.settings.database_url)
        stack.callback(engine.dispose)
        yield MailPipeline(engine, app.pack, secret_key(app.settings), app.settings.mail_from,
                           lambda body, subject: classify(nlu, body, subject, "email"),
                           own_addresses=own_addresses(app.settings.mail_from, app.settings.mail_aliases, app.pack))


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
    import logging
    import signal
    import threading

    from mail_ingest.poller import ImapSource, Poller

    if not app.settings.imap_host:
        raise PrivacyDeskError("IMAP_HOST is not set: put IMAP_HOST, IMAP_USER and IMAP_PASSWORD in .env")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    db.migrate(app.settings.database_url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _mail_pipeline(app) as pipeline:
        poller = Poller(ImapSource(app.settings), pipeline, pipeline.engine, app.settings.imap_mailbox, stop,
                        idle_timeout=app.settings.imap_idle_seconds, poll_interval=app.settings.imap_poll_seconds)
        try:
            poller.run_forever()
        except KeyboardInterrupt:
            stop.set()


# -- everything --------------------------------------------------------------------------------------------

@cli.command("run")
@pass_app
def run(app: App) -> None:
    """Start privacy-desk: Rasa, the action server, the chat page and the outbox worker (and the mail poller)."""
    import os

    from privacy_desk.rasa import ensure_model
    from privacy_desk.supervisor import planned_processes, supervise

    settings = app.settings
    db.migrate(settings.database_url)
    click.echo("checking the NLU model (trains once when intents/, bot/ or config.yml changed) ...")
    model = ensure_model(quiet=False)
    processes, notes = planned_processes(settings, str(model))
    click.echo(f"policy pack in force: {app.pack.id} ({app.pack.company.name.en})")
    click.echo(f"database: {_safe_url(settings.database_url)}")
    click.echo(f"chat page: http://127.0.0.1:{settings.chat_port}/  (Rasa API: {settings.rasa_url})")
    click.echo(f"staff app: http://127.0.0.1:{settings.web_port}/  (add an account: privacy-desk staff add NAME "
               "--role admin)")
    click.echo(f"outgoing mail: SMTP {settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})")
    for note in notes:
        click.echo(note)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false",
           "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{settings.action_server_port}/webhook",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    sys.exit(supervise(processes, env))


def main() -> None:
    try:
        cli(standalone_mode=True)
    except PrivacyDeskError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        click.echo(f"error: database: {reason}", err=True)
        sys.exit(1)
