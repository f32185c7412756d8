"""Staff choose their own staff mail (address, digest, notices) in the staff app; admins set others'; the CLI too."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from desk_app.cli.base import App, cli
from desk_app.services import build_services
from privacy_desk.models import Event, StaffUser
from privacy_desk.settings import Settings
from tests.staff.conftest import MAIL_FROM, PACK, form_token

SignedIn = Callable[..., TestClient]


def settings_of(sessions: sessionmaker[Session], username: str) -> tuple[str | None, bool, bool]:
    with sessions() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        assert user is not None
        return user.email, user.wants_digest, user.wants_new_ticket_notice


def test_a_member_sets_their_own_staff_mail(signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    client = signed_in("bob")
    page = client.get("/account").text
    assert 'name="email"' in page
    saved = client.post("/account", data={"csrf_token": form_token(page), "email": " Bob@Itosoft.Example.com ",
                                          "notice": "1"})
    assert saved.status_code == 200 and "Saved." in saved.text
    assert settings_of(sessions, "bob") == ("Bob@itosoft.example.com", False, True)
    with sessions() as session:
        [event] = session.scalars(select(Event).where(Event.action == "staff_notifications")).all()
        assert "itosoft" not in str(event.details)  # the audit log says what changed, not the address


def test_a_bad_address_is_refused_with_the_reason_and_nothing_changes(signed_in: SignedIn,
                                                                      sessions: sessionmaker[Session]) -> None:
    client = signed_in("bob")
    page = client.get("/account").text
    refused = client.post("/account", data={"csrf_token": form_token(page), "email": "bob at itosoft"})
    assert refused.status_code == 400 and "not an email address" in refused.text
    assert settings_of(sessions, "bob") == (None, True, False)


def test_admins_set_others_and_staff_may_not(signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    admin = signed_in("alice")
    page = admin.get("/staff").text
    assert 'action="/staff/bob/notifications"' in page
    done = admin.post("/staff/bob/notifications", data={"csrf_token": form_token(page),
                                                        "email": "bob@itosoft.example.com", "digest": "1"},
                      follow_redirects=False)
    assert done.status_code == 303
    assert settings_of(sessions, "bob") == ("bob@itosoft.example.com", True, False)
    bob = signed_in("bob")
    own = bob.get("/account").text
    refused = bob.post("/staff/alice/notifications", data={"csrf_token": form_token(own), "email": "x@example.com"})
    assert refused.status_code == 403
    assert settings_of(sessions, "alice")[0] is None


def test_the_cli_sets_and_lists_staff_mail(app: object, sessions: sessionmaker[Session]) -> None:
    cli_app = App()
    settings = Settings.from_mapping({"PRIVACY_POLICY": PACK.id, "MAIL_FROM": MAIL_FROM, "SECRET_KEY": "k" * 32})
    cli_app._services = build_services(settings, sessions=sessions)
    runner = CliRunner()
    result = runner.invoke(cli, ["staff", "set", "bob", "--email", "bob@itosoft.example.com", "--no-digest",
                                 "--notice"], obj=cli_app)
    assert result.exit_code == 0, result.output
    assert settings_of(sessions, "bob") == ("bob@itosoft.example.com", False, True)
    listed = runner.invoke(cli, ["staff", "list"], obj=cli_app).output
    assert "bob@itosoft.example.com; digest off, new-ticket notices on" in listed
    bad = runner.invoke(cli, ["staff", "set", "bob", "--email", "nope"], obj=cli_app)
    assert bad.exit_code != 0 and "not an email address" in str(bad.exception)
    assert settings_of(sessions, "bob")[0] == "bob@itosoft.example.com"
