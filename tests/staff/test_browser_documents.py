"""A customer's documents from mail to the staff member and back, in a real browser: a request mailed with a PDF
and a JPEG arrives through Dovecot and the real poller (Rasa classifies it); a Japanese-speaking member of staff
signs in, downloads the PDF (served as an attachment, never inline), confirms the identity, attaches the disclosed
data to the resolution reply, and the customer's mail at aiosmtpd carries that file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select

from privacy_desk.db import make_engine, migrate, session_factory
from privacy_desk.models import Ticket
from privacy_desk.settings import PROJECT_ROOT
from tests.mail.builders import encoded_word, multipart_mail, tiny_jpeg, tiny_pdf
from tests.staff.conftest import PASSWORD
from tests.staff.test_browser_staff import CHROMIUM_ARGS
from tests.support.imap import ImapServer
from tests.support.postgres import free_port
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.stack import ChatStack, app_env, background, wait_until_up

pytestmark = [pytest.mark.rasa, pytest.mark.browser]
SUPPORT = "privacy@itosoft.example.com"


@dataclass
class Desk:
    imap: ImapServer
    smtp: SmtpServer
    database_url: str
    mailbox: str
    staff_url: str

    def ticket_from(self, address: str, timeout: float = 90.0) -> Ticket:
        deadline = time.monotonic() + timeout
        engine = make_engine(self.database_url)
        try:
            while time.monotonic() < deadline:
                with session_factory(engine)() as session:
                    found = session.scalar(select(Ticket).where(Ticket.email == address))
                if found is not None:
                    return found
                time.sleep(0.3)
        finally:
            engine.dispose()
        raise AssertionError(f"no ticket for {address} within {timeout} s")

    def mail_with_files(self, address: str, timeout: float = 30.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.smtp.mailbox.lock:
                for message in self.smtp.mailbox.messages:
                    if address in str(message["To"]) and any(True for _ in message.iter_attachments()):
                        return message
            time.sleep(0.2)
        raise AssertionError(f"no mail with files to {address} within {timeout} s")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, imap: ImapServer, chat: ChatStack) -> Iterator[Desk]:
    """The mail channel (poller, outbox) and the staff app on one database, with a Japanese-speaking reviewer."""
    work = tmp_path_factory.mktemp("documents")
    database_url = f"sqlite:///{work / 'desk.db'}"
    migrate(database_url)
    mailbox = imap.new_mailbox("Documents")
    with smtp_server() as smtp:
        env = {**app_env(database_url, smtp.port, work), **imap.env(mailbox), "RASA_URL": chat.rasa_url,
               "MAIL_FROM": SUPPORT}
        cli = [sys.executable, "-m", "desk_app"]
        added = subprocess.run([*cli, "staff", "add", "sato", "--name", "佐藤 恵"], env=env, cwd=PROJECT_ROOT,
                               input=f"{PASSWORD}\n{PASSWORD}\n", capture_output=True, text=True)
        assert added.returncode == 0, added.stderr
        # Her choice is stored on her account: it wins over whatever browser she signs in from.
        chosen = subprocess.run([*cli, "staff", "language", "sato", "ja"], env=env, cwd=PROJECT_ROOT,
                                capture_output=True, text=True)
        assert chosen.returncode == 0, chosen.stderr
        port = free_port()
        with background([*cli, "mail", "poll"], env, work / "poller.log"), \
                background([*cli, "outbox", "run", "--interval", "0.2"], env, work / "outbox.log"), \
                background([*cli, "web", "--port", str(port)], env, work / "web.log") as web:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(f"{url}/health", web)
            yield Desk(imap, smtp, database_url, mailbox, url)
        logs = " ".join(p.read_text(errors="replace") for p in work.glob("*.log"))
        assert "@example.jp" not in logs, "personal data in a log"


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(locale="en-US", accept_downloads=True).new_page()
        finally:
            browser.close()


def test_documents_from_a_customers_mail_to_staff_and_back(desk: Desk, page: Page, tmp_path: Path) -> None:
    shots = Path(os.environ.get("PRIVACY_DESK_SCREENSHOTS", tmp_path))
    address = f"kyaku-{uuid.uuid4().hex[:8]}@example.jp"
    identity, photo, disclosed = tiny_pdf("Driving licence"), tiny_jpeg(), tiny_pdf("Your data: member M-204511")
    desk.imap.append(multipart_mail(
        "保有個人データの開示を請求します。本人確認書類と申請書を添付します。\n\n鈴木 花子\n電話 03-1234-5678\n",
        [("本人確認書類.pdf", "application/pdf", identity), ("申請書.jpg", "image/jpeg", photo)],
        subject="個人情報の開示請求", sender=f"{encoded_word('鈴木 花子', 'utf-8')} <{address}>",
        message_id=make_msgid(domain="example.jp")),
        desk.mailbox)
    ticket = desk.ticket_from(address)
    assert ticket.kind == "disclosure", ticket.kind

    page.goto(f"{desk.staff_url}/tickets/{ticket.reference}")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # not signed in yet: the browser's language
    page.fill("input[name=username]", "sato")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".thread")).to_contain_text("保有個人データの開示を請求します")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    pdf_link = page.locator(".attachments a", has_text="本人確認書類.pdf")
    expect(pdf_link).to_have_count(1)
    expect(page.locator(".attachments")).to_contain_text("申請書.jpg")
    page.screenshot(path=str(shots / "staff-documents-ticket.png"), full_page=True)

    with page.expect_download() as downloading:
        pdf_link.click()
    download = downloading.value
    assert download.suggested_filename == "本人確認書類.pdf"
    assert Path(download.path()).read_bytes() == identity
    # The same response as the browser got it: a download, never something it would render or sniff.
    served = page.request.get(desk.staff_url + (pdf_link.get_attribute("href") or ""))
    assert served.ok and served.body() == identity
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.headers["x-content-type-options"] == "nosniff"

    page.click("#confirm-identity")
    expect(page.locator("#identity")).to_contain_text("確認済み")
    page.click("#resolve")
    expect(page.locator("#recipient")).to_have_text(address)
    attachment = tmp_path / "開示データ.pdf"
    attachment.write_bytes(disclosed)
    page.set_input_files("#attachment", str(attachment))
    page.screenshot(path=str(shots / "staff-documents-reply.png"), full_page=True)
    page.click("#send-reply")
    expect(page.locator("#ticket-status")).to_have_text("対応完了")

    reply = desk.mail_with_files(address)
    assert ticket.reference in str(reply["Subject"])
    assert [(part.get_filename(), part.get_content()) for part in reply.iter_attachments()] == [
        ("開示データ.pdf", disclosed)]

    page.goto(f"{desk.staff_url}/tickets")
    expect(page.locator("#count-resolved")).to_have_text("1")  # the queue's counts at its top, in Japanese
    expect(page.locator("#count-overdue")).to_have_text("0")
    page.screenshot(path=str(shots / "staff-documents-queue.png"), full_page=True)
