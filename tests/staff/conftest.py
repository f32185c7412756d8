"""A staff app on a freshly migrated database (SQLite and PostgreSQL), and browsers signed in to it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from desk_app.services import build_services
from privacy_desk.db import transaction
from privacy_desk.desk import Desk
from privacy_desk.languages import Language
from privacy_desk.policy import PolicyPack, RequestKind, load_pack
from privacy_desk.settings import Settings
from privacy_desk.staff import Role, StaffAccounts

PACK = load_pack("itosoft")
MAIL_FROM = "privacy@itosoft.example.com"
PASSWORD = "a long enough passphrase"


def add_staff(sessions: sessionmaker[Session], username: str, role: Role = Role.STAFF) -> None:
    with transaction(sessions) as session:
        StaffAccounts(session).add(username, username.title(), PASSWORD, role)


def open_request(sessions: sessionmaker[Session], kind: RequestKind = RequestKind.DELETION,
                 language: Language = Language.EN, pack: PolicyPack = PACK, **details: str) -> str:
    """A ticket as the mail channel opens it (a deletion waits for the customer's one-time code)."""
    desk = Desk(sessions, pack, b"k" * 32, MAIL_FROM)
    given = {"name": "Hanako Suzuki", "email": "hanako@example.jp", **details}
    outcome = desk.open_request(kind=kind, details=given, channel="email", language=language, actor="mail")
    assert outcome.reference is not None
    return outcome.reference


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    token = form_token(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def app(sessions: sessionmaker[Session]) -> Starlette:
    add_staff(sessions, "alice", Role.ADMIN)
    add_staff(sessions, "bob")
    settings = Settings.from_mapping({"PRIVACY_POLICY": PACK.id, "MAIL_FROM": MAIL_FROM, "SECRET_KEY": "k" * 32})
    return build_services(settings, sessions=sessions).staff_app()


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as anonymous:
        yield anonymous


@pytest.fixture
def signed_in(app: Starlette) -> Callable[[str], TestClient]:
    clients: list[TestClient] = []

    def make(username: str = "alice") -> TestClient:
        client = TestClient(app)
        clients.append(client)
        return sign_in(client, username)

    yield make  # type: ignore[misc]
    for c in clients:
        c.close()
