"""The website chat widget in a real browser (Debian chromium, headless) against the real chat stack."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select

from privacy_desk.db import make_engine, session_factory
from privacy_desk.models import Ticket
from tests.support.postgres import free_port
from tests.support.stack import ChatStack, background, wait_until_up

pytestmark = [pytest.mark.rasa, pytest.mark.browser]
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def chat_page(chat: ChatStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    work = tmp_path_factory.mktemp("page")
    env = {**chat.env, "RASA_URL": chat.rasa_url}
    with background([sys.executable, "-m", "desk_app", "chat-page", "--port", str(port)], env,
                    work / "page.log") as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/health", process)
        yield url


def open_browser(locale: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(locale=locale)
        page = context.new_page()
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def page() -> Iterator[Page]:
    yield from open_browser("en-US")



def wait_for_bot(page: Page, fragment: str) -> str:
    locator = page.locator("#log li.bot", has_text=fragment).last
    expect(locator).to_be_visible(timeout=30_000)
    return locator.inner_text()


def test_delete_my_data_in_the_browser(chat_page: str, chat: ChatStack, page: Page, tmp_path: Path) -> None:
    page.goto(chat_page)
    wait_for_bot(page, "privacy assistant")
    for text, expected in [("Please delete my personal data", "full name"), ("Hanako Browser", "email address"),
                           ("hanako.browser@example.jp", "Shall I submit it?")]:
        page.fill("#input", text)
        page.click("#send")
        wait_for_bot(page, expected)
    page.fill("#input", "yes")
    page.click("#send")
    text = wait_for_bot(page, "PRQ-")
    reference = next(word.strip(".,") for word in text.split() if word.startswith("PRQ-"))
    page.screenshot(path=str(Path(os.environ.get("PRIVACY_DESK_SCREENSHOTS", tmp_path)) / "chat-delete.png"),
                    full_page=True)
    # What the visitor typed is shown as text, never interpreted as HTML.
    assert page.locator("#log li.user", has_text="hanako.browser@example.jp").count() == 1

    engine = make_engine(chat.database_url)
    with session_factory(engine)() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket is not None and ticket.kind == "deletion" and ticket.email == "hanako.browser@example.jp"
    engine.dispose()


def test_customer_text_is_escaped(chat_page: str, page: Page) -> None:
    page.goto(chat_page)
    wait_for_bot(page, "privacy assistant")
    page.fill("#input", "<img src=x onerror=alert(1)>")
    page.click("#send")
    expect(page.locator("#log li.user").last).to_have_text("<img src=x onerror=alert(1)>")
    assert page.locator("#log img").count() == 0


@pytest.fixture
def page_ja() -> Iterator[Page]:
    yield from open_browser("ja-JP")


def test_japanese_chat_in_the_browser(chat_page: str, chat: ChatStack, page_ja: Page, tmp_path: Path) -> None:
    page = page_ja
    page.goto(chat_page)
    wait_for_bot(page, "個人情報")  # greeted in the browser's language
    assert page.get_attribute("#input", "placeholder") == "メッセージを入力してください…"
    for text, expected in [("メルマガの配信を停止してください", "お名前"), ("山田 花子", "メールアドレス"),
                           ("hanako.yamada@example.jp", "送信してよろしいでしょうか")]:
        page.fill("#input", text)
        page.click("#send")
        wait_for_bot(page, expected)
    page.fill("#input", "はい")
    page.click("#send")
    text = wait_for_bot(page, "PRQ-")
    page.screenshot(path=str(Path(os.environ.get("PRIVACY_DESK_SCREENSHOTS", tmp_path)) / "chat-ja.png"),
                    full_page=True)
    reference = re.search(r"PRQ-\d{4}-\d{6}", text).group(0)  # type: ignore[union-attr]
    engine = make_engine(chat.database_url)
    with session_factory(engine)() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket is not None and ticket.language == "ja" and ticket.kind == "marketing_optout"
    engine.dispose()
