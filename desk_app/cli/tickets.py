"""Commands: `tickets list` and `tickets show`."""

from __future__ import annotations

import click

from desk_app.cli.base import App, cli, pass_app
from privacy_desk.messages import utcnow
from privacy_desk.policy import RequestKind
from privacy_desk.status import TicketStatus
from privacy_desk.tickets import TicketFilter, TicketService
from privacy_desk.workdays import local_date


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
