"""Staff review in a real browser (Debian chromium): a ticket the chat opened is confirmed and resolved, and the
customer's reply reaches a real SMTP server through the outbox."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from privacy_desk.settings import PROJECT_ROOT
from tests.staff.conftest import PASSWORD
from tests.support.postgres import free_port
from tests.support.smtp import SmtpServer
from tests.support.stack import ChatStack, background, wait_until_up

pytestmark = [pytest.mark.rasa, pytest.mark.browser]
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def staff_app(chat: ChatStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The staff app on the chat stack's database, with one account."""
    cli = [sys.executable, "-m", "desk_app"]
    added = subprocess.run([*cli, "staff", "add", "reviewer", "--name", "Rie Viewer"], env=chat.env,
                           cwd=PROJECT_ROOT, input=f"{PASSWORD}\n{PASSWORD}\n", capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    port = free_port()
    with background([*cli, "web", "--port", str(port)], chat.env,
                    tmp_path_factory.mktemp("web") / "web.log") as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/health", process)
        yield url


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(locale="en-US").new_page()
        finally:
            browser.close()


def sign_in(page: Page) -> None:
    page.fill("input[name=username]", "reviewer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def chat_deletion(chat: ChatStack, email: str) -> str:
    sender = f"staff-browser-{time.monotonic_ns()}"
    for text in ("Please delete my personal data", "Hanako Staffview", email):
        chat.say(sender, text)
    replies = chat.say(sender, "yes")
    match = re.search(r"PRQ-\d{4}-\d{6}", " ".join(replies))
    assert match, replies
    return match.group(0)


def resolved_mail_for(mailbox: SmtpServer, reference: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(mailbox.mailbox.messages):
            if reference in message["Subject"] and "completed" in message["Subject"]:
                return f"To: {message['To']}\n{message.get_content()}"
        time.sleep(0.2)
    raise AssertionError(f"no 'completed' mail for {reference} within {timeout} s")


def test_staff_confirm_and_resolve_a_chat_ticket(chat: ChatStack, chat_mail: SmtpServer, staff_app: str,
                                                 page: Page, tmp_path: Path) -> None:
    shots = Path(os.environ.get("PRIVACY_DESK_SCREENSHOTS", tmp_path))
    reference = chat_deletion(chat, "hanako.staffview@example.jp")

    page.goto(f"{staff_app}/tickets/{reference}")
    expect(page.locator("h1")).to_have_text("Staff sign-in")  # sent to sign in first
    sign_in(page)
    expect(page.locator("#ticket-status")).to_have_text("awaiting verification")
    expect(page.locator("#identity")).to_contain_text("not confirmed")
    expect(page.locator(".thread")).to_contain_text("Please delete my personal data")
    expect(page.locator("#classifier")).to_contain_text("request_deletion")
    page.screenshot(path=str(shots / "staff-ticket.png"), full_page=True)

    page.click("#confirm-identity")
    expect(page.locator(".done")).to_have_text("Identity marked as confirmed.")
    expect(page.locator("#ticket-status")).to_have_text("open")

    page.click("#resolve")
    expect(page.locator("#recipient")).to_have_text("hanako.staffview@example.jp")
    body = page.locator("textarea[name=body]")
    expect(body).to_contain_text("We have completed your request")
    body.fill(body.input_value().replace("Dear Hanako Staffview,", "Dear Ms Staffview,"))
    page.screenshot(path=str(shots / "staff-reply-preview.png"), full_page=True)
    page.click("#send-reply")
    expect(page.locator(".done")).to_have_text("Reply queued for sending.")
    expect(page.locator("#ticket-status")).to_have_text("resolved")
    expect(page.locator(".audit")).to_contain_text("staff reply")
    expect(page.locator("#resolve")).to_have_count(0)  # a resolved ticket offers no second resolution
    page.screenshot(path=str(shots / "staff-resolved.png"), full_page=True)

    mail = resolved_mail_for(chat_mail, reference)
    assert "To: hanako.staffview@example.jp" in mail and "Dear Ms Staffview," in mail

    page.goto(f"{staff_app}/tickets?q={reference}")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    page.goto(f"{staff_app}/tickets")
    page.screenshot(path=str(shots / "staff-queue.png"), full_page=True)
    page.click("#sign-out")
    expect(page.locator("h1")).to_have_text("Staff sign-in")
    page.goto(f"{staff_app}/tickets")
    expect(page.locator("h1")).to_have_text("Staff sign-in")


def test_staff_read_a_japanese_chat_ticket(chat: ChatStack, staff_app: str, page: Page, tmp_path: Path) -> None:
    sender = f"staff-browser-ja-{time.monotonic_ns()}"
    for text in ("メルマガの配信を停止してください", "山田 花子", "hanako.yamada.staff@example.jp"):
        chat.say(sender, text)
    match = re.search(r"PRQ-\d{4}-\d{6}", " ".join(chat.say(sender, "はい")))
    assert match
    page.goto(f"{staff_app}/tickets/{match.group(0)}")
    sign_in(page)
    expect(page.locator("#ticket-language")).to_have_text("Japanese (ja)")
    expect(page.locator(".thread")).to_contain_text("メルマガの配信を停止してください")
    expect(page.locator(".details")).to_contain_text("山田 花子")
    shots = Path(os.environ.get("PRIVACY_DESK_SCREENSHOTS", tmp_path))
    page.screenshot(path=str(shots / "staff-ticket-ja.png"), full_page=True)
