"""Commands: `db` (the schema) and `policy` (check and list packs)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from desk_app.cli.base import App, cli, pass_app, safe_url
from privacy_desk import db
from privacy_desk.basis import Basis
from privacy_desk.policy import available_packs, load_pack, load_pack_file


@cli.group("db")
def db_group() -> None:
    """The ticket database."""


@db_group.command("migrate")
@pass_app
def db_migrate(app: App) -> None:
    """Create or upgrade the database schema (alembic upgrade head)."""
    db.migrate(app.settings.database_url)
    click.echo(f"database is at the latest schema ({safe_url(app.settings.database_url)})")


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
