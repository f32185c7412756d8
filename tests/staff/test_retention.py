"""Retention: finished tickets past the pack's period lose their personal data, keep their record."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desk_app.rasa import free_port
from desk_app.supervisor import planned_processes
from mail_ingest.pipeline import MailPipeline
from privacy_desk.attachments import AttachmentFile
from privacy_desk.classify import Classification
from privacy_desk.corrections import CorrectionState
from privacy_desk.db import make_engine, session_factory, transaction
from privacy_desk.desk import Desk
from privacy_desk.housekeeping import run_every
from privacy_desk.languages import Language
from privacy_desk.messages import Channel, IncomingMessage
from privacy_desk.models import Attachment, Event, Message, NluCorrection, Ticket, Verification
from privacy_desk.policy import RequestKind, Topic
from privacy_desk.replies import Purpose
from privacy_desk.retention import REMOVED, run_retention
from privacy_desk.review import Review
from privacy_desk.settings import PROJECT_ROOT, Settings
from privacy_desk.staff_plan import DraftReply
from tests.mail.builders import multipart_mail, tiny_jpeg, tiny_pdf
from tests.staff.conftest import MAIL_FROM, PACK
from tests.support.clock import Clock

PERSONAL = ("Hanako Suzuki", "hanako@example.jp", "03-1234-5678")


def finished_ticket(sessions: sessionmaker[Session], clock: Clock) -> str:
    desk = Desk(sessions, PACK, b"k" * 32, MAIL_FROM, clock=clock)
    incoming = IncomingMessage(channel=Channel.EMAIL, body="Please delete my data. Hanako Suzuki, 03-1234-5678",
                               language=Language.EN, sender="hanako@example.jp", subject="Delete my data",
                               message_id=f"<{clock.now.timestamp()}@example.jp>")
    outcome = desk.open_request(kind=RequestKind.DELETION, details={"name": PERSONAL[0], "email": PERSONAL[1],
                                                                    "phone": PERSONAL[2]},
                                channel=Channel.EMAIL, language=Language.EN, actor="mail", incoming=incoming)
    reference = outcome.reference or ""
    review = Review(sessions, PACK, MAIL_FROM, clock=clock)
    review.confirm_identity(reference, "alice")
    review.add_note(reference, "Hanako Suzuki phoned to confirm.", "alice")
    draft = DraftReply(Purpose.RESOLVED)
    preview = review.preview(reference, draft)
    review.send(reference, draft, preview.subject or "", preview.body, "alice")
    return reference


def personal_data_left(sessions: sessionmaker[Session], reference: str) -> list[str]:
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket is not None
        texts = [str(getattr(ticket, d)) for d in ("name", "email", "phone")]
        texts += [f"{m.body} {m.subject} {m.sender} {m.recipient}" for m in ticket.messages]
        texts += [str(e.details) for e in ticket.events]
        return [value for value in PERSONAL if any(value in t for t in texts)]


def test_tickets_finished_longer_than_retention_are_anonymised(sessions: sessionmaker[Session],
                                                                clock: Clock) -> None:
    old = finished_ticket(sessions, clock)
    clock.now += timedelta(days=PACK.retention_days - 10)
    recent = finished_ticket(sessions, clock)
    active = Desk(sessions, PACK, b"k" * 32, MAIL_FROM, clock=clock).open_request(
        kind=RequestKind.COMPLAINT, details={"email": "late@example.jp"}, channel=Channel.EMAIL,
        language=Language.EN, actor="mail").reference
    clock.now += timedelta(days=11)
    assert personal_data_left(sessions, old) == list(PERSONAL)

    with transaction(sessions) as session:
        dry = run_retention(session, PACK, dry_run=True, clock=clock)
    assert dry.tickets == [old]
    assert personal_data_left(sessions, old) == list(PERSONAL)

    with transaction(sessions) as session:
        report = run_retention(session, PACK, clock=clock)
    assert report.tickets == [old]
    assert personal_data_left(sessions, old) == []
    assert personal_data_left(sessions, recent) == list(PERSONAL)
    with sessions() as session:
        anonymised = session.scalar(select(Ticket).where(Ticket.reference == old))
        assert anonymised is not None and anonymised.anonymised_at == clock.now
        assert anonymised.kind == "deletion" and anonymised.status == "resolved"  # the record stays
        assert all(m.body == REMOVED for m in anonymised.messages)
        assert session.scalar(select(Verification).where(Verification.ticket_id == anonymised.id)) is None
        run = session.scalar(select(Event).where(Event.action == "retention_run"))
        assert run is not None and run.details["tickets"] == [old]
        assert session.scalar(select(Ticket.email).where(Ticket.reference == active)) == "late@example.jp"

    with transaction(sessions) as session:
        assert run_retention(session, PACK, clock=clock).tickets == []  # done once


def test_loose_mail_goes_after_the_same_period(sessions: sessionmaker[Session], clock: Clock) -> None:
    desk = Desk(sessions, PACK, b"k" * 32, MAIL_FROM, clock=clock)
    desk.answer_by_mail(Topic.PURPOSE, to="q@example.jp", language=Language.EN, actor="mail",
                        incoming=IncomingMessage(channel=Channel.EMAIL, body="Why do you keep my data? Q. Person",
                                                 language=Language.EN, sender="q@example.jp"))
    clock.now += timedelta(days=PACK.retention_days + 1)
    with transaction(sessions) as session:
        report = run_retention(session, PACK, clock=clock)
    assert report.loose_messages == 2
    with sessions() as session:
        bodies = [(m.body, m.sender, m.recipient) for m in session.scalars(select(Message))]
    assert bodies == [(REMOVED, None, None)] * 2


CLI = [sys.executable, "-m", "desk_app"]


def migrated_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a command on a fresh, migrated SQLite database."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
           "PRIVACY_DESK_ENV_FILE": str(tmp_path / "none.env"), "PRIVACY_DESK_DATA": str(tmp_path)}
    subprocess.run([*CLI, "db", "migrate"], env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    return env


def test_retention_command(tmp_path: Path) -> None:
    env = migrated_env(tmp_path)
    result = subprocess.run([*CLI, "retention", "run"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"retention {PACK.retention_days} days" in result.stdout and "anonymised 0 tickets" in result.stdout


def test_the_supervisor_runs_retention_daily() -> None:
    processes, _ = planned_processes(Settings.from_mapping({"RASA_WORKERS": "1"}), "model.tar.gz")
    housekeeping = next(p for p in processes if p.name == "housekeeping")
    assert housekeeping.command[-4:] == ["retention", "schedule", "--every", "24"]


def test_scheduled_housekeeping_runs_until_stopped(sessions: sessionmaker[Session], clock: Clock) -> None:
    old = finished_ticket(sessions, clock)
    clock.now += timedelta(days=PACK.retention_days + 1)
    stop = threading.Event()
    runs: list[int] = []
    worker = threading.Thread(target=lambda: runs.append(run_every(sessions, PACK, 0.05, stop, clock=clock)))
    worker.start()
    time.sleep(0.5)
    stop.set()
    worker.join(5)
    assert not worker.is_alive() and runs and runs[0] >= 2  # ran, and ran again on the interval
    assert personal_data_left(sessions, old) == []
    with sessions() as session:
        recorded = list(session.scalars(select(Event).where(Event.action == "retention_run")))
    assert recorded[0].details["tickets"] == [old] and all(r.details["tickets"] == [] for r in recorded[1:])


def test_housekeeping_keeps_trying_while_the_database_is_down(caplog: pytest.LogCaptureFixture) -> None:
    sessions = session_factory(make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"))
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    with caplog.at_level(logging.WARNING, logger="privacy_desk.housekeeping"):
        assert run_every(sessions, PACK, 0.2, stop) == 0
    failures = [r for r in caplog.records if "retention run failed" in r.getMessage()]
    assert len(failures) >= 2  # retried, not given up


def test_retention_schedule_command_stops_on_sigterm(tmp_path: Path) -> None:
    env = migrated_env(tmp_path)
    process = subprocess.Popen([*CLI, "retention", "schedule", "--every", "0.0002"], env=env, cwd=PROJECT_ROOT,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    runs = 0
    while time.monotonic() < deadline and runs < 2:
        time.sleep(0.3)
        with session_factory(make_engine(env["DATABASE_URL"]))() as session:
            runs = len(list(session.scalars(select(Event).where(Event.action == "retention_run"))))
    process.send_signal(signal.SIGTERM)
    _, log = process.communicate(timeout=30)
    assert runs >= 2, log
    assert process.returncode == 0 and "anonymised 0 tickets" in log


def test_attachments_go_with_their_message(sessions: sessionmaker[Session], clock: Clock) -> None:
    """A finished ticket's files and loose mail's files are deleted, bytes and names; an active ticket's stay."""
    engine = sessions.kw["bind"]
    pipeline = MailPipeline(engine, PACK, b"k" * 32, MAIL_FROM, lambda text, subject: Classification(
        "request_deletion" if "delete" in text else "chitchat", 0.97, Language.EN, {"name": PERSONAL[0]}),
        clock=clock)
    pdf, jpeg = tiny_pdf(), tiny_jpeg()
    finished = pipeline.process(multipart_mail(f"Please delete my data. {PERSONAL[0]}", [
        ("passport.jpg", "image/jpeg", jpeg)], sender=f"{PERSONAL[0]} <{PERSONAL[1]}>", message_id="<r1@example.jp>"))
    loose = pipeline.process(multipart_mail("Hello there, nice weather.", [("holiday.jpg", "image/jpeg", jpeg)],
                                            subject="Hi", message_id="<r2@example.jp>"))
    assert finished.ticket is not None and loose.action == "ignored"
    review = Review(sessions, PACK, MAIL_FROM, clock=clock)
    review.confirm_identity(finished.ticket, "alice")
    draft = DraftReply(Purpose.RESOLVED)
    preview = review.preview(finished.ticket, draft)
    review.send(finished.ticket, draft, preview.subject or "", preview.body, "alice",
                [AttachmentFile("your-data.pdf", "application/pdf", pdf)])
    clock.now += timedelta(days=PACK.retention_days - 10)
    active = pipeline.process(multipart_mail("Please delete my data. Taro", [("id-card.pdf", "application/pdf", pdf)],
                                             sender="taro@example.jp", message_id="<r3@example.jp>"))
    clock.now += timedelta(days=11)

    def files() -> list[str]:
        with sessions() as session:
            return sorted(session.scalars(select(Attachment.filename)))

    assert files() == ["holiday.jpg", "id-card.pdf", "passport.jpg", "your-data.pdf"]
    with transaction(sessions) as session:
        assert run_retention(session, PACK, dry_run=True, clock=clock).tickets == [finished.ticket]
    assert len(files()) == 4  # a dry run deletes nothing
    with transaction(sessions) as session:
        report = run_retention(session, PACK, clock=clock)
    assert report.tickets == [finished.ticket] and report.loose_messages == 1
    assert files() == ["id-card.pdf"]
    with sessions() as session:
        run = session.scalar(select(Event).where(Event.action == "retention_run"))
        assert run is not None and run.details["attachments"] == 3
        kept = session.scalar(select(Attachment))
        assert kept is not None and kept.data == pdf
        assert session.scalar(select(Ticket.reference).join(Message).where(Message.id == kept.message_id)) \
            == active.ticket


def test_proposals_nobody_accepted_go_after_the_period_and_accepted_ones_stay(sessions: sessionmaker[Session],
                                                                               clock: Clock) -> None:
    def proposal(state: CorrectionState, text: str) -> NluCorrection:
        return NluCorrection(source="misread", language="en", text=text, intent="ask_security", state=state.value,
                             proposed_by="alice", created_at=clock())

    with transaction(sessions) as session:
        session.add_all([proposal(CorrectionState.PROPOSED, "old, never decided"),
                         proposal(CorrectionState.REJECTED, "old, rejected"),
                         proposal(CorrectionState.ACCEPTED, "old, accepted")])
    clock.now += timedelta(days=PACK.retention_days + 1)
    with transaction(sessions) as session:
        session.add(proposal(CorrectionState.PROPOSED, "recent"))

    def texts() -> list[str]:
        with sessions() as session:
            return sorted(session.scalars(select(NluCorrection.text)))

    with transaction(sessions) as session:
        assert run_retention(session, PACK, dry_run=True, clock=clock).unaccepted_corrections == 2
    assert len(texts()) == 4  # a dry run deletes nothing
    with transaction(sessions) as session:
        assert run_retention(session, PACK, clock=clock).unaccepted_corrections == 2
    assert texts() == ["old, accepted", "recent"]
    with sessions() as session:
        run = session.scalar(select(Event).where(Event.action == "retention_run"))
        assert run is not None and run.details["unaccepted_corrections"] == 2
