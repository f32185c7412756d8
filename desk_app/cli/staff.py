"""Commands: `web` (the staff app), `staff` (accounts) and `retention`."""

from __future__ import annotations

import click

from desk_app.cli.base import App, cli, pass_app, until_stopped
from privacy_desk import db
from privacy_desk.messages import utcnow
from privacy_desk.staff import STAFF_LOCALES, Role, StaffAccounts


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


    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db.migrate(app.settings.database_url)
    # uvicorn's access log would write query strings (a searched email address): the app logs paths only.
    uvicorn.run(app.services.staff_app(), host=host,
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
    """List staff accounts (with their staff-mail address and choices)."""
    from privacy_desk.staff import is_locked

    with app.sessions() as session:
        for user in StaffAccounts(session).all():
            state = "locked" if is_locked(user, utcnow()) else "active" if user.active else "disabled"
            mail = (f"{user.email}; digest {'on' if user.wants_digest else 'off'}, new-ticket notices "
                    f"{'on' if user.wants_new_ticket_notice else 'off'}") if user.email else "no staff mail"
            click.echo(f"{user.username}\t{user.role}\t{state}\t{user.locale or 'browser'}\t{user.display_name}\t"
                       f"{mail}")


@staff_group.command("set")
@click.argument("username")
@click.option("--email", help="Where this member's staff mail goes (an empty value removes it).")
@click.option("--digest/--no-digest", default=None, help="The daily digest of due and overdue requests.")
@click.option("--notice/--no-notice", default=None, help="A mail for each request the assistant opens.")
@pass_app
def staff_set(app: App, username: str, email: str | None, digest: bool | None, notice: bool | None) -> None:
    """Set a member's staff-mail address and what they receive."""
    with db.transaction(app.sessions) as session:
        user = StaffAccounts(session).set_notifications(username, "cli", email=email, wants_digest=digest,
                                                        wants_new_ticket_notice=notice)
        click.echo(f"{user.username}: {user.email or 'no address (no staff mail)'}; digest "
                   f"{'on' if user.wants_digest else 'off'}; new-ticket notices "
                   f"{'on' if user.wants_new_ticket_notice else 'off'}")


@staff_group.command("digest")
@pass_app
def staff_digest(app: App) -> None:
    """Queue today's staff digests now if they are due and not yet sent (housekeeping does this hourly)."""
    from privacy_desk.staff_notices import queue_due_digests

    done = queue_due_digests(app.sessions, app.pack, app.services.staff_mail, app.services.clock)
    if done.day is None:
        click.echo(f"no digest is due now (business days, from {app.settings.staff_digest_hour}:00 "
                   f"{app.pack.calendar.timezone})")
    else:
        click.echo(f"digests for {done.day.isoformat()}: queued {done.sent}, {done.empty} with nothing due")


@staff_group.command("unlock")
@click.argument("username")
@pass_app
def staff_unlock(app: App, username: str) -> None:
    """Lift the lockout after repeated failed sign-ins."""
    with db.transaction(app.sessions) as session:
        StaffAccounts(session).unlock(username, actor="cli")
    click.echo(f"unlocked {username}")


@staff_group.command("language")
@click.argument("username")
@click.argument("locale", type=click.Choice([*STAFF_LOCALES, "browser"]))
@pass_app
def staff_language(app: App, username: str, locale: str) -> None:
    """Set the staff app's language for an account (browser: follow the browser's Accept-Language)."""
    with db.transaction(app.sessions) as session:
        StaffAccounts(session).set_locale(username, None if locale == "browser" else locale, actor="cli")
    click.echo(f"{username}: {locale}")


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
    """Anonymise finished tickets (and loose mail), and remove chat conversations, older than the policy pack's
    retention period."""
    from privacy_desk.housekeeping import run_once

    report, expired = run_once(app.sessions, app.pack, dry_run=dry_run, clock=app.services.clock)
    verb = "would anonymise" if dry_run else "anonymised"
    click.echo(f"retention {app.pack.retention_days} days (finished before {report.cutoff:%Y-%m-%d}): "
               f"{verb} {len(report.tickets)} tickets and {report.loose_messages} other messages; "
               f"{'would remove' if dry_run else 'removed'} {report.conversations} chat conversations and "
               f"{report.unaccepted_corrections} unaccepted training proposals")
    for reference in report.tickets:
        click.echo(f"  {reference}")
    if expired:
        click.echo(f"removed {expired} expired staff sessions")


@retention_group.command("schedule")
@click.option("--every", "hours", default=24.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Hours between runs.")
@pass_app
def retention_schedule(app: App, hours: float) -> None:
    """Run retention now and then every HOURS until stopped, and send the staff digests when due (checked hourly;
    what `run` starts; or use cron with `retention run` and `staff digest`)."""
    from privacy_desk.housekeeping import run_every
    from privacy_desk.staff_notices import queue_due_digests

    services = app.services
    until_stopped(lambda stop: run_every(
        app.sessions, app.pack, hours * 3600, stop, clock=services.clock,
        digests=lambda: queue_due_digests(app.sessions, app.pack, services.staff_mail, services.clock)))
