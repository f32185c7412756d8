from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from privacy_desk import db
from privacy_desk.policy import PolicyPack, load_pack
from tests.support.clock import Clock
from tests.support.imap import ImapServer, imap_server
from tests.support.postgres import PostgresServer, postgres_server
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.stack import ChatStack, chat_stack

PACK_IDS = ["itosoft", "qualitysoft"]
# A test that uses one of these servers gets its marker, so `make check` can leave out every test that needs one.
SERVER_MARKERS = {"imap": "imap", "postgres": "postgres", "chat": "rasa", "chat_mail": "rasa"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in SERVER_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)
_db_numbers = itertools.count(1)


@pytest.fixture(params=PACK_IDS)
def pack(request: pytest.FixtureRequest) -> PolicyPack:
    return load_pack(request.param)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated database on each backend the store supports."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tickets.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.create_database(f"test_{next(_db_numbers)}")
    db.migrate(url)
    return url


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(database_url)
    yield db.session_factory(engine)
    engine.dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="session")
def chat_mail() -> Iterator[SmtpServer]:
    """The SMTP server the session-wide chat stack sends to."""
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="session")
def chat(tmp_path_factory: pytest.TempPathFactory, chat_mail: SmtpServer) -> Iterator[ChatStack]:
    """One Rasa server + action server + outbox worker for the session (Rasa takes ~30 s to start)."""
    with chat_stack(tmp_path_factory.mktemp("chat"), chat_mail.port) as stack:
        yield stack


@pytest.fixture(scope="session")
def imap() -> Iterator[ImapServer]:
    with imap_server() as server:
        yield server
