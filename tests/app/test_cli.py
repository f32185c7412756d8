"""The privacy-desk command, run as a user runs it (a subprocess), on a scratch SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from privacy_desk.db import make_engine, session_factory
from privacy_desk.desk import Desk
from privacy_desk.languages import Language
from privacy_desk.messages import Channel, IncomingMessage
from privacy_desk.policy import RequestKind, Topic, load_pack


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "PRIVACY_DESK_ENV_FILE": str(tmp_path / "none.env")}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desk_app", *args], capture_output=True, text=True, env=env)


def test_migrate_list_show(env: dict[str, str]) -> None:
    assert run(env, "db", "migrate").returncode == 0
    assert run(env, "db", "migrate").returncode == 0  # idempotent
    assert run(env, "tickets", "list").stdout.strip() == "no tickets"

    sessions = session_factory(make_engine(env["DATABASE_URL"]))
    ref = Desk(sessions, load_pack("itosoft"), b"k" * 32, "privacy@itosoft.example.com").open_request(
        kind=RequestKind.DELETION, channel=Channel.EMAIL, language=Language.EN,
        details={"email": "taro@example.jp"}, actor="mail",
        incoming=IncomingMessage(channel=Channel.EMAIL, body="Delete everything.", language=Language.EN,
                                 subject="Erase me", message_id="<m1@example.jp>")).reference
    assert ref is not None

    listed = run(env, "tickets", "list", "--kind", "deletion")
    assert ref in listed.stdout and "awaiting_details" in listed.stdout
    assert run(env, "tickets", "list", "--kind", "disclosure").stdout.strip() == "no tickets"
    shown = run(env, "tickets", "show", ref.lower())
    assert shown.returncode == 0
    assert "Delete everything." in shown.stdout and "opened" in shown.stdout and "taro@example.jp" in shown.stdout


def test_errors_are_one_line(env: dict[str, str], tmp_path: Path) -> None:
    run(env, "db", "migrate")
    missing = run(env, "tickets", "show", "PRQ-2026-424242")
    assert missing.returncode == 1 and missing.stderr == "error: no ticket 'PRQ-2026-424242'\n"
    bad_pack = run({**env, "PRIVACY_POLICY": "acme"}, "tickets", "list")
    assert bad_pack.returncode == 1 and bad_pack.stderr.startswith("error: no policy pack 'acme'")
    no_db = run({**env, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}, "tickets", "list")
    assert no_db.returncode == 1 and no_db.stderr.startswith("error: database:")
    assert "Traceback" not in no_db.stderr and no_db.stderr.count("\n") == 1


@pytest.mark.parametrize("pack_id", ["itosoft", "qualitysoft"])
def test_render_previews_a_reply(env: dict[str, str], pack_id: str) -> None:
    out = run(env, "render", "--pack", pack_id, "--kind", "correction", "--purpose", "acknowledgement")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Subject: [PRQ-2026-000123]")
    assert load_pack(pack_id).rule(RequestKind.CORRECTION).description.en in out.stdout
    chat = run(env, "render", "--pack", pack_id, "--purpose", "answer", "--topic", "fee", "--channel", "chat")
    pack = load_pack(pack_id)
    for statement in pack.answers[Topic.FEE]:
        assert statement.en in chat.stdout
        if statement.policy:
            assert pack.cite(statement, Language.EN) in chat.stdout
