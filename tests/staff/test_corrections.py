"""Staff corrections become proposed training examples, masked, and only accepted ones reach intents/.

A mail is read by the real pipeline with a classifier that misreads it (the model is not what is tested here),
staff fix it in the real staff app, and `privacy-desk nlu corrections` (the real CLI) writes the export.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from desk_app.cli.base import App, cli
from desk_app.nlu_data import training_examples
from desk_app.services import build_services
from mail_ingest.pipeline import MailPipeline
from privacy_desk.classify import Classification
from privacy_desk.languages import Language
from privacy_desk.models import Message, NluCorrection, Ticket
from privacy_desk.settings import Settings
from tests.mail.builders import mail
from tests.staff.conftest import MAIL_FROM, PACK, form_token

SignedIn = Callable[..., TestClient]
SETTINGS = Settings.from_mapping({"PRIVACY_POLICY": PACK.id, "MAIL_FROM": MAIL_FROM, "SECRET_KEY": "k" * 32})

DELETION_EN = ("Hello, I am Taro Yamada. Please erase everything you keep about me; my membership number is "
               "ITO-48120 and you can call me on 090-1234-5678.")
PROMO_JA = "山田太郎です。宣伝メールを止めてください。会員番号はITO-55821、住所は〒150-0002 東京都渋谷区渋谷1-2-3です。"


def misread_as(intent: str, language: Language) -> Callable[[str, str | None], Classification]:
    name = "山田 太郎" if language is Language.JA else "Taro Yamada"
    return lambda text, subject: Classification(intent, 0.91, language, {"name": name})


def receive(sessions: sessionmaker[Session], body: str, intent: str, language: Language, message_id: str) -> None:
    engine = sessions.kw["bind"]
    MailPipeline(engine, PACK, b"k" * 32, MAIL_FROM, misread_as(intent, language)).process(
        mail(body.encode(), subject="Request", message_id=message_id))


def export(sessions: sessionmaker[Session], folder: Path, *args: str) -> str:
    app = App()
    app._services = build_services(SETTINGS, sessions=sessions)
    result = CliRunner().invoke(cli, ["nlu", "corrections", *args, "--intents", str(folder)], obj=app)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_kind_changed_in_the_staff_app_comes_out_masked_and_only_once_accepted(
        signed_in: SignedIn, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    receive(sessions, DELETION_EN, "request_disclosure", Language.EN, "<del@example.jp>")
    receive(sessions, PROMO_JA, "request_discontinuance", Language.JA, "<promo@example.jp>")
    with sessions() as session:
        deletion, promo = session.scalars(select(Ticket.reference).order_by(Ticket.id)).all()
    client = signed_in("bob")
    for reference, kind in ((deletion, "correction"), (deletion, "deletion"), (promo, "marketing_optout")):
        page = client.get(f"/tickets/{reference}").text
        done = client.post(f"/tickets/{reference}/kind", data={"csrf_token": form_token(page), "kind": kind})
        assert "proposed as a training example" in done.text

    with sessions() as session:
        rows = session.scalars(select(NluCorrection).order_by(NluCorrection.id)).all()
        assert [(r.intent, r.previous_intent, r.language, r.proposed_by, r.state) for r in rows] == [
            ("request_deletion", "request_disclosure", "en", "bob", "proposed"),
            ("request_marketing_optout", "request_discontinuance", "ja", "bob", "proposed")]
        stored = " ".join(r.text for r in rows)
    for personal in ("Taro", "Yamada", "山田", "ITO-48120", "ITO-55821", "090-1234-5678", "150-0002", "渋谷"):
        assert personal not in stored

    listing = export(sessions, tmp_path, "--accept", str(rows[0].id), "--write")
    assert "[member_number]" in listing
    written = tmp_path / "en" / "corrections.yml"
    content = written.read_text(encoding="utf-8")
    assert not (tmp_path / "ja" / "corrections.yml").exists()  # the Japanese one was not accepted
    data = yaml.safe_load(content)
    assert data["version"] == "3.1"
    [block] = data["nlu"]
    assert block["intent"] == "request_deletion" and "examples: |" in content
    [example] = block["examples"].splitlines()
    assert example.startswith("- Hello, I am [Alex Morgan](name). Please erase everything")
    assert "[M-000000](member_number)" in example and "[03-0000-0000](phone)" in example
    for personal in ("Taro", "Yamada", "ITO-48120", "090-1234-5678"):
        assert personal not in content
    # Rasa's loader (as the project reads intents/) takes the file, annotations removed.
    assert [intent for _, intent in training_examples(tmp_path)] == ["request_deletion"]

    again = export(sessions, tmp_path, "--state", "all", "--write")
    assert "unchanged" in again and written.read_text(encoding="utf-8") == content  # idempotent

    export(sessions, tmp_path, "--reject", str(rows[0].id), "--write")
    assert not written.exists()  # a rejected example leaves the training data


def test_an_answered_question_marked_misread_is_proposed_masked(
        signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    receive(sessions, "Taro Yamada here (taro@example.jp): please stop sending me your newsletter.",
            "ask_purpose", Language.EN, "<q@example.jp>")
    client = signed_in("alice")
    page = client.get("/quarantine").text
    assert "Questions answered automatically" in page and "stop sending me your newsletter" in page
    with sessions() as session:
        question = session.scalar(select(Message).where(Message.message_id == "<q@example.jp>"))
        assert question is not None and question.ticket_id is None
    done = client.post(f"/mail/{question.id}/misread",
                       data={"csrf_token": form_token(page), "intent": "request_marketing_optout"})
    assert "proposed training example" in done.text
    with sessions() as session:
        [row] = session.scalars(select(NluCorrection)).all()
        assert row.source == "misread" and row.intent == "request_marketing_optout"
        assert row.text == "[name] here ([email]): please stop sending me your newsletter."


@pytest.mark.parametrize("intent", ["not_an_intent", ""])
def test_an_unknown_intent_is_refused_and_nothing_recorded(signed_in: SignedIn, sessions: sessionmaker[Session],
                                                            intent: str) -> None:
    receive(sessions, "What do you use my data for?", "ask_purpose", Language.EN, "<q2@example.jp>")
    client = signed_in("alice")
    page = client.get("/quarantine").text
    with sessions() as session:
        question = session.scalar(select(Message).where(Message.message_id == "<q2@example.jp>"))
        assert question is not None
    refused = client.post(f"/mail/{question.id}/misread", data={"csrf_token": form_token(page), "intent": intent})
    assert refused.status_code == 409 and "unknown intent" in refused.text
    with sessions() as session:
        assert session.scalars(select(NluCorrection)).all() == []
