"""The `privacy-desk` command, one module per command group. Errors are one line on stderr and a non-zero exit,
never a traceback."""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import SQLAlchemyError

from desk_app.cli import db_policy, mail, nlu, outbox, replies, run, staff, tickets  # noqa: F401 (registers them)
from desk_app.cli.base import cli
from privacy_desk.errors import PrivacyDeskError


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
