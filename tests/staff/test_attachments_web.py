"""A ticket's files in the staff app: downloads that browsers never render, previews only as a re-encode, every
look audited; and staff's own files going out with a reply through the outbox to a real SMTP server."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from desk_app.services import build_services
from mail_ingest.pipeline import MailPipeline
from privacy_desk.classify import Classification
from privacy_desk.db import transaction
from privacy_desk.languages import Language
from privacy_desk.models import Attachment, Event, Message, Ticket
from privacy_desk.outbox import Outbox, SmtpSender
from privacy_desk.settings import Settings
from privacy_desk.staff import Role, StaffAccounts
from tests.mail.builders import multipart_mail, tiny_jpeg, tiny_pdf
from tests.staff.conftest import MAIL_FROM, PACK, add_staff, form_token, sign_in
from tests.staff.test_i18n import assert_no_english
from tests.support.smtp import SmtpServer

MAX_FILE = 64 * 1024
ENV = {"PRIVACY_POLICY": PACK.id, "MAIL_FROM": MAIL_FROM, "SECRET_KEY": "k" * 32,
       "ATTACHMENT_MAX_BYTES": str(MAX_FILE), "ATTACHMENT_MAIL_MAX_BYTES": str(2 * MAX_FILE)}
PDF, JPEG = tiny_pdf(), tiny_jpeg()
HTML = b"<html><script>alert(document.cookie)</script></html>"


def classify(text: str, subject: str | None) -> Classification:
    return Classification("request_disclosure", 0.97, Language.JA, {"name": "Hanako Suzuki"})


@pytest.fixture
def settings(smtp: SmtpServer) -> Settings:
    return Settings.from_mapping({**ENV, "SMTP_PORT": str(smtp.port)})


@pytest.fixture
def files_app(sessions: sessionmaker[Session], settings: Settings) -> Starlette:
    add_staff(sessions, "bob", Role.STAFF)
    return build_services(settings, sessions=sessions).staff_app()


@pytest.fixture
def bob(files_app: Starlette) -> Iterator[TestClient]:
    with TestClient(files_app) as client:
        yield sign_in(client, "bob")


@pytest.fixture
def reference(sessions: sessionmaker[Session], settings: Settings) -> str:
    """A ticket opened from a customer's mail with a PDF (Japanese name), a photo, an HTML page, a file too big."""
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    pipeline = MailPipeline(engine, PACK, b"k" * 32, MAIL_FROM, classify, attachment_limits=settings.attachment_limits)
    decision = pipeline.process(multipart_mail("保有個人データの開示をお願いします。鈴木花子", [
        ("開示請求書.pdf", "application/pdf", PDF), ("写真.jpg", "image/jpeg", JPEG),
        ("page.html", "text/html", HTML), ("video.mov", "video/quicktime", b"\0" * (MAX_FILE + 1))],
        subject="開示請求", sender="Hanako Suzuki <hanako@example.jp>", message_id="<files-1@example.jp>"))
    assert decision.ticket is not None
    return decision.ticket


def file_ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {a.filename: a.id for a in session.scalars(select(Attachment))}


def audited(sessions: sessionmaker[Session], action: str) -> list[tuple[str, dict[str, object]]]:
    with sessions() as session:
        return [(e.actor, e.details) for e in session.scalars(select(Event).where(Event.action == action))]


def test_the_ticket_page_lists_kept_and_refused_files(bob: TestClient, reference: str,
                                                      sessions: sessionmaker[Session]) -> None:
    ids = file_ids(sessions)
    page = bob.get(f"/tickets/{reference}").text
    assert f'href="/tickets/{reference}/attachments/{ids["開示請求書.pdf"]}" download>開示請求書.pdf</a>' in page
    assert f'/tickets/{reference}/attachments/{ids["写真.jpg"]}/preview' in page
    assert f'/attachments/{ids["開示請求書.pdf"]}/preview' not in page  # no preview for a PDF
    assert re.search(r"video\.mov \(video/quicktime, 65537 bytes\): <strong class=\"badge\">not accepted</strong> "
                     r"larger than the per-file limit", page)
    assert f'/attachments/{ids["video.mov"]}"' not in page


def test_downloads_are_attachments_that_browsers_never_render(bob: TestClient, reference: str,
                                                              sessions: sessionmaker[Session],
                                                              caplog: pytest.LogCaptureFixture) -> None:
    ids = file_ids(sessions)
    caplog.set_level(logging.INFO)
    pdf = bob.get(f"/tickets/{reference}/attachments/{ids['開示請求書.pdf']}")
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        f"attachment; filename=\"_____.pdf\"; filename*=UTF-8''{quote('開示請求書.pdf')}")
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert pdf.headers["content-security-policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
    assert pdf.headers["cache-control"] == "no-store"

    html = bob.get(f"/tickets/{reference}/attachments/{ids['page.html']}")
    assert html.content == HTML and html.headers["content-type"] == "application/octet-stream"
    assert html.headers["content-disposition"].startswith('attachment; filename="page.html"')

    assert audited(sessions, "attachment_downloaded") == [("bob", {"attachment": ids["開示請求書.pdf"]}),
                                                          ("bob", {"attachment": ids["page.html"]})]
    logged = caplog.text
    assert f"GET /tickets/{reference}/attachments/{ids['page.html']} 200" in logged
    assert "開示請求書" not in logged and "page.html" not in logged and "hanako" not in logged.lower()


def test_refused_unknown_and_other_tickets_files_are_not_served(bob: TestClient, reference: str,
                                                                sessions: sessionmaker[Session],
                                                                files_app: Starlette) -> None:
    ids = file_ids(sessions)
    refused = bob.get(f"/tickets/{reference}/attachments/{ids['video.mov']}")
    assert refused.status_code == 404 and "not accepted" in refused.text
    assert bob.get(f"/tickets/{reference}/attachments/999999").status_code == 404
    # A file asked for under a reference that is not its own ticket's.
    assert bob.get(f"/tickets/PRQ-2026-999999/attachments/{ids['開示請求書.pdf']}").status_code == 404
    with TestClient(files_app) as anonymous:
        response = anonymous.get(f"/tickets/{reference}/attachments/{ids['開示請求書.pdf']}", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert audited(sessions, "attachment_downloaded") == []


def test_images_are_previewed_only_as_a_re_encode(bob: TestClient, reference: str,
                                                  sessions: sessionmaker[Session]) -> None:
    ids = file_ids(sessions)
    preview = bob.get(f"/tickets/{reference}/attachments/{ids['写真.jpg']}/preview")
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/png"
    assert preview.content != JPEG
    image = Image.open(io.BytesIO(preview.content))
    assert image.format == "PNG" and image.size == Image.open(io.BytesIO(JPEG)).size
    assert dict(image.getexif()) == {} and b"PhoneCam" not in preview.content
    assert preview.headers["content-disposition"].startswith("inline; ")
    assert preview.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in preview.headers["content-security-policy"]
    assert bob.get(f"/tickets/{reference}/attachments/{ids['開示請求書.pdf']}/preview").status_code == 415
    assert bob.get(f"/tickets/{reference}/attachments/{ids['page.html']}/preview").status_code == 415
    assert audited(sessions, "attachment_previewed") == [("bob", {"attachment": ids["写真.jpg"]})]


def prepared_reply(bob: TestClient, reference: str) -> dict[str, str]:
    """Confirm the customer's identity, then open the resolve reply for editing; returns the send form."""
    token = form_token(bob.get(f"/tickets/{reference}").text)
    assert bob.post(f"/tickets/{reference}/identity", data={"csrf_token": token}).status_code == 200
    page = bob.post(f"/tickets/{reference}/reply/preview",
                    data={"csrf_token": token, "purpose": "resolved"}).text
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="attachment"' in page
    subject = re.search(r'name="subject" value="([^"]*)"', page)
    assert subject is not None
    return {"csrf_token": token, "purpose": "resolved", "subject": subject.group(1),
            "body": "開示データを添付いたします。\nご確認ください。"}


def test_a_reply_carries_staff_files_to_the_customer(bob: TestClient, reference: str,
                                                     sessions: sessionmaker[Session], settings: Settings,
                                                     smtp: SmtpServer) -> None:
    form = prepared_reply(bob, reference)
    disclosed = tiny_pdf("Hanako Suzuki: member since 2019")
    sent = bob.post(f"/tickets/{reference}/reply/send", data=form, follow_redirects=False,
                    files=[("attachment", ("保有個人データ.pdf", disclosed, "application/pdf")),
                           ("attachment", ("photo.jpg", JPEG, "image/jpeg"))])
    assert sent.status_code == 303, sent.text
    with sessions() as session:
        reply = session.scalar(select(Message).where(Message.purpose == "resolved"))
        assert reply is not None and reply.delivery_state == "queued"
        assert [(a.filename, a.status, a.data) for a in reply.attachments] == [
            ("保有個人データ.pdf", "stored", disclosed), ("photo.jpg", "stored", JPEG)]
        files = [a.id for a in reply.attachments]
    (event,) = audited(sessions, "staff_reply")
    assert event[1]["files"] == 2
    assert [d.get("attachments") for _, d in audited(sessions, "reply_queued") if "attachments" in d] == [files]

    outbox = Outbox(sessions, SmtpSender(settings, timeout=5).send, MAIL_FROM, PACK.company.name.en)
    assert outbox.run_once() >= 1
    received = [m for m in smtp.mailbox.wait_for(2) if reference in str(m["Subject"])]
    mail = next(m for m in received if any(True for _ in m.iter_attachments()))
    assert "開示データを添付いたします。" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert [(p.get_filename(), p.get_content_type(), p.get_content()) for p in mail.iter_attachments()] == [
        ("保有個人データ.pdf", "application/pdf", disclosed), ("photo.jpg", "image/jpeg", JPEG)]


def test_a_file_over_the_limit_refuses_the_reply_and_keeps_what_staff_wrote(
        bob: TestClient, reference: str, sessions: sessionmaker[Session]) -> None:
    form = prepared_reply(bob, reference)
    refused = bob.post(f"/tickets/{reference}/reply/send", data=form,
                       files=[("attachment", ("export.zip", b"\1" * (MAX_FILE + 10), "application/zip"))])
    assert refused.status_code == 409
    assert "export.zip is larger than the 64 KB a file may have; nothing was sent" in refused.text
    assert "Choose the files again before sending." in refused.text
    assert "開示データを添付いたします。\nご確認ください。" in refused.text  # what staff wrote is still there
    with sessions() as session:
        assert session.scalar(select(Message).where(Message.purpose == "resolved")) is None
        ticket = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket is not None and ticket.status != "resolved"



def test_files_of_mail_kept_for_staff_are_listed_with_it(bob: TestClient, sessions: sessionmaker[Session],
                                                         settings: Settings) -> None:
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    pipeline = MailPipeline(engine, PACK, b"k" * 32, MAIL_FROM, lambda text, subject: Classification(
        "chitchat", 0.9, Language.EN), attachment_limits=settings.attachment_limits)
    pipeline.process(multipart_mail("Our printer is broken, see the photo.", [
        ("printer.jpg", "image/jpeg", JPEG), ("manual.pdf", "application/pdf", b"%PDF" + b"0" * MAX_FILE)],
        subject="Printer", message_id="<printer@example.jp>"))
    page = bob.get("/quarantine").text
    assert "Our printer is broken" in page
    assert f"printer.jpg (image/jpeg, {len(JPEG)} bytes)" in page
    assert "manual.pdf (application/pdf, 65540 bytes, not accepted: larger than the per-file limit)" in page


def test_the_files_in_japanese(bob: TestClient, reference: str, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        StaffAccounts(session).set_locale("bob", "ja", "test")
    ids = file_ids(sessions)
    page = bob.get(f"/tickets/{reference}").text
    assert_no_english(page)
    assert re.search(r"video\.mov \(video/quicktime、65537 バイト\): <strong class=\"badge\">受付不可</strong> "
                     r"1ファイルあたりの上限を超過", page)
    assert ">プレビュー</a>" in page
    refused = bob.get(f"/tickets/{reference}/attachments/{ids['video.mov']}")
    assert refused.status_code == 404
    assert refused.text == "このファイルはサイズの上限を超えたため受け付けておらず、保管していません。"
    assert bob.get(f"/tickets/{reference}/attachments/{ids['開示請求書.pdf']}/preview").text == (
        "この種類のファイルはプレビューできません。ダウンロードしてご確認ください。")
