"""The staff app in English and Japanese: complete catalogues, the language each member sees, dates in their
locale's form, and Japanese pages that show no English."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from privacy_desk.db import transaction
from privacy_desk.desk import Desk
from privacy_desk.errors import N_, IllegalTransition, PolicyError, ReviewRefused
from privacy_desk.languages import Language
from privacy_desk.mail_plan import MailFacts, plan_mail
from privacy_desk.messages import Channel, IncomingMessage
from privacy_desk.models import Event, StaffUser, Ticket
from privacy_desk.policy import RequestKind
from privacy_desk.settings import PROJECT_ROOT
from privacy_desk.staff import StaffAccounts
from privacy_desk.staff_labels import event_value
from privacy_desk.status import TicketStatus, check_transition
from staff_web.catalogue import extracted, problems, read_catalogue
from staff_web.i18n import browser_locale, catalogue_path, chosen_locale, translations
from staff_web.web import translate_error, when
from tests.staff.conftest import MAIL_FROM, PACK, PASSWORD, form_token, open_request, sign_in

SignedIn = Callable[..., TestClient]
TOKYO = ZoneInfo("Asia/Tokyo")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%|\{[a-z_]+(?:!r)?\}")


# -- the catalogues ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_message_in_the_sources_is_translated(locale: str) -> None:
    template = extracted()
    assert len([m for m in template if m.id]) > 150  # the extraction did find the app's messages
    found = list(problems(template, read_catalogue(catalogue_path(locale), locale)))
    assert found == [], f"{locale}: run `python -m staff_web.catalogue update` and translate:\n" + "\n".join(found)


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_translations_keep_every_placeholder(locale: str) -> None:
    for message in read_catalogue(catalogue_path(locale), locale):
        if message.id and isinstance(message.string, str):
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(str(message.id))), \
                message.id


def test_the_shipped_template_is_what_the_sources_say() -> None:
    shipped = read_catalogue(catalogue_path("ja").parents[2] / "messages.pot")
    assert {m.id for m in shipped if m.id} == {m.id for m in extracted() if m.id}


# -- which language --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "expected"), [
    ("ja,en-US;q=0.9,en;q=0.8", "ja"), ("ja-JP", "ja"), ("en-US,en;q=0.9", "en"), ("fr-FR,fr;q=0.9", "en"),
    ("fr, ja;q=0.5", "ja"), ("en;q=0.4, ja;q=0.6", "ja"), ("ja;q=0, en", "en"), ("", "en"), (None, "en"),
    ("*", "en"), ("ja;q=oops", "en"),
])
def test_the_browser_chooses_between_japanese_and_english(header: str | None, expected: str) -> None:
    assert browser_locale(header) == expected


def test_a_member_s_choice_wins_over_the_browser() -> None:
    assert chosen_locale("en", "ja") == "en"
    assert chosen_locale("ja", "en-US") == "ja"
    assert chosen_locale(None, "ja") == "ja"


def test_dates_in_each_locale_s_form() -> None:
    assert when(date(2026, 12, 2), "ja", TOKYO) == "2026年12月2日"
    assert when(date(2026, 12, 2), "en", TOKYO) == "2 December 2026"
    moment = datetime(2026, 12, 2, 1, 5, tzinfo=UTC)  # 10:05 in Tokyo
    assert when(moment, "ja", TOKYO) == "2026年12月2日 10:05 JST"
    assert when(moment, "en", TOKYO) == "2 December 2026, 10:05 Japan Standard Time"
    assert when(None, "ja", TOKYO) == ""


def test_core_refusals_are_worded_in_the_reader_s_language() -> None:
    ja = translations("ja").gettext
    already = ReviewRefused(N_("{reference} is already a {kind} request"), reference="PRQ-2026-000007",
                            kind=RequestKind.DELETION)
    assert str(already) == "PRQ-2026-000007 is already a deletion request"  # the CLI and the logs: English
    assert translate_error(already, ja) == "PRQ-2026-000007 はすでに「削除」の請求です"
    with pytest.raises(IllegalTransition) as illegal:
        check_transition(TicketStatus.AWAITING_DETAILS, TicketStatus.CLOSED)
    assert translate_error(illegal.value, ja) == ("「情報待ち」の受付は「終了」にできません。変更できる状態："
                                                  "本人確認待ち, 未着手, お断り済み")
    assert translate_error(PolicyError("pack x: no such key"), ja) == "pack x: no such key"  # not a msgid: as it is


# -- pages ---------------------------------------------------------------------------------------------------

class VisibleText(HTMLParser):
    """What a reader sees: text outside tags, and the placeholders of inputs."""

    def __init__(self, skip: frozenset[str] | set[str] = frozenset()) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.lang = ""
        self.skip = skip
        self.skipping = 0

    def handle_endtag(self, tag: str) -> None:
        if tag in self.skip:
            self.skipping -= 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self.skip:
            self.skipping += 1
        if tag == "html":
            self.lang = values.get("lang") or ""
        if values.get("placeholder"):
            self.parts.append(values["placeholder"] or "")

    def handle_data(self, data: str) -> None:
        if data.strip() and not self.skipping:
            self.parts.append(" ".join(data.split()))


def visible(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


def english_ui_strings() -> list[str]:
    """The English of every message whose Japanese differs, with its placeholders as gaps."""
    ja = read_catalogue(catalogue_path("ja"), "ja")
    found = []
    for message in ja:
        if message.id and isinstance(message.id, str) and message.string != message.id:
            words = re.sub(r"<code>.*?</code>", "", message.id)  # a command stays a command in any language
            found.extend(part.strip(" .:;()") for part in re.split(rf"<[^>]+>|{PLACEHOLDER.pattern}", words))
    # Words of one or two letters, and codes that are also data (PRQ-…), say nothing about the language.
    return sorted({part for part in found if len(part) > 3 and not part.startswith("PRQ")})


def english_on(html: str) -> list[str]:
    """The app's English strings a page shows: whole texts, or longer phrases inside a text."""
    text = visible(html).parts
    return [s for s in english_ui_strings() if s in text or (s.count(" ") >= 2 and any(s in t for t in text))]


# What a Japanese page may show in Latin letters: data (addresses, references, file names and types, the test's
# customer and accounts, the actor "mail", the classifier's intent names), the product's name, a time zone, CSV,
# sizes, language codes and names.
LATIN_DATA = re.compile(r"[\w.+-]+@[\w.-]+|PRQ-[\d…-]*|[\w-]+\.[A-Za-z0-9]{2,4}\b|[a-z]+/[\w.+-]+|[a-z]+(?:_[a-z]+)+|"
                        r"(?<![A-Za-z])(?:privacy-desk|JST|CSV|English|mail|alice|bob|Alice|Bob|Hanako|Suzuki|"
                        r"ja|en|MB|KB)(?![A-Za-z])")


def untranslated_words(html: str) -> list[str]:
    """Latin words on a page outside data, code and customers' messages: English nobody wrapped for gettext."""
    parser = VisibleText(skip={"code", "pre"})
    parser.feed(html)
    return sorted({word for part in parser.parts for word in re.findall(r"[A-Za-z]{2,}", LATIN_DATA.sub("", part))})


def assert_no_english(html: str) -> None:
    assert visible(html).lang == "ja"
    assert english_on(html) == []
    assert untranslated_words(html) == []


def set_locale(sessions: sessionmaker[Session], username: str, locale: str | None) -> None:
    with transaction(sessions) as session:
        StaffAccounts(session).set_locale(username, locale, "test")


def due_on(sessions: sessionmaker[Session], reference: str, due: date, created: datetime) -> None:
    with transaction(sessions) as session:
        session.execute(update(Ticket).where(Ticket.reference == reference).values(due_date=due, created_at=created))


def test_a_japanese_member_sees_the_queue_and_ticket_in_japanese(signed_in: SignedIn,
                                                                sessions: sessionmaker[Session]) -> None:
    reference = open_request(sessions, language=Language.JA, name="鈴木花子")
    due_on(sessions, reference, date(2026, 12, 2), datetime(2026, 11, 18, 0, 30, tzinfo=UTC))
    set_locale(sessions, "bob", "ja")
    client = signed_in("bob")

    queue = client.get("/tickets", headers={"Accept-Language": "en-US"}).text  # the account's choice wins
    assert_no_english(queue)
    set_locale(sessions, "bob", "en")
    english = client.get("/tickets").text  # the same page in English: the check does see English
    assert {"Export CSV", "Filter", "Requests", "awaiting verification"} <= set(english_on(english))
    assert {"Filter", "Requests", "awaiting", "verification"} <= set(untranslated_words(english))
    assert "2 December 2026" in english
    set_locale(sessions, "bob", "ja")
    for shown in ("受付一覧", "絞り込む", "CSVで書き出す", "本人確認待ち", "削除", "2026年12月2日", "ログアウト"):
        assert shown in queue, shown

    ticket = client.get(f"/tickets/{reference}").text
    assert_no_english(ticket)
    for shown in ("本人確認済みにする", "対応完了にする…", "お断りする…", "情報を依頼する…", "メモを追加", "操作履歴",
                  "期限", "2026年12月2日", "2026年11月18日 9:30 JST", "日本語 (ja)", "お客様へ",
                  "受け取った情報: メールアドレス、氏名", "状態: 本人確認待ち", "確認コードの送信"):
        assert shown in ticket, shown
    # The pack's own Japanese for the company's name, the kind's description and the refusal grounds.
    assert "株式会社イトーソフトデザイン" in ticket
    rule = PACK.rule(RequestKind.DELETION)
    assert rule.description.ja and rule.description.ja in ticket
    assert rule.refusal_grounds, "the check below needs a ground to look at"
    for ground in rule.refusal_grounds:
        assert ground.reason.ja and ground.reason.ja[:30] in ticket and ground.reason.en[:30] not in ticket


def test_japanese_pages_for_each_action(signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    reference = open_request(sessions, language=Language.JA)
    set_locale(sessions, "alice", "ja")
    client = signed_in("alice")
    token = form_token(client.get(f"/tickets/{reference}").text)

    confirmed = client.post(f"/tickets/{reference}/identity", data={"csrf_token": token})
    assert "本人確認済みにしました。" in confirmed.text
    assert_no_english(confirmed.text)

    refused = client.post(f"/tickets/{reference}/note", data={"csrf_token": token, "text": "  "})
    assert refused.status_code == 409 and "メモが空のため、追加しませんでした" in refused.text

    illegal = client.post(f"/tickets/{reference}/status", data={"csrf_token": token, "status": "resolved"})
    assert illegal.status_code == 409 and "「対応完了」にするには、お客様への返信が必要です" in illegal.text

    preview = client.post(f"/tickets/{reference}/reply/preview", data={"csrf_token": token, "purpose": "resolved"})
    assert preview.status_code == 200
    assert_no_english(preview.text)
    assert "送信して対応完了にする" in preview.text and "宛先：" in preview.text

    kept = plan_mail(MailFacts(intent="out_of_scope")).staff_reason  # the reason exactly as the mail channel stores it
    assert kept is not None
    Desk(sessions, PACK, b"k" * 32, MAIL_FROM).hold_for_staff(
        IncomingMessage(channel=Channel.EMAIL, body="お世話になっております。", language=Language.JA),
        kept, "mail")
    assert "個人情報に関する内容ではない" in client.get("/quarantine").text
    for path in ("/quarantine", "/staff", "/account"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert_no_english(page.text)


def test_refusals_outside_pages_speak_the_reader_s_language(signed_in: SignedIn, client: TestClient,
                                                             sessions: sessionmaker[Session]) -> None:
    anonymous = client.post("/logout", headers={"Accept-Language": "ja"})
    assert anonymous.status_code == 401 and anonymous.text == "先にログインしてください。"
    set_locale(sessions, "bob", "ja")
    bob = signed_in("bob")
    assert bob.get("/staff").text == "この操作は管理者のみ行えます。"
    assert bob.post("/tickets/PRQ-2026-000001/note", data={"csrf_token": "forged"}).status_code == 403
    assert "セキュリティトークン" in bob.post("/tickets/PRQ-2026-000001/note", data={"csrf_token": "x"}).text
    assert bob.get("/tickets/PRQ-2026-999999").text == "受付 PRQ-2026-999999 はありません。"
    bad = bob.get("/tickets?status=lost", headers={"Accept-Language": "en"})
    assert bad.status_code == 400 and bad.text == "絞り込み条件が正しくありません：status の値 'lost' は不明です"


def test_the_sign_in_page_follows_the_browser(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "ja,en;q=0.5"}).text
    assert visible(page).lang == "ja" and "スタッフログイン" in page
    assert_no_english(page)
    wrong = client.post("/login", headers={"Accept-Language": "ja"},
                        data={"username": "alice", "password": "wrong password!", "csrf_token": form_token(page)})
    assert wrong.status_code == 401 and "ユーザー名またはパスワードが正しくありません。" in wrong.text
    english = client.get("/login", headers={"Accept-Language": "en-GB"}).text
    assert visible(english).lang == "en" and "Staff sign-in" in english


def test_a_member_chooses_their_language_and_can_go_back_to_the_browser(app: Starlette,
                                                                      sessions: sessionmaker[Session]) -> None:
    def stored() -> str | None:
        with sessions() as session:
            return session.scalar(select(StaffUser.locale).where(StaffUser.username == "bob"))

    with TestClient(app, headers={"Accept-Language": "en-US"}) as client:
        sign_in(client, "bob")
        assert stored() is None
        account = client.get("/account").text
        assert visible(account).lang == "en" and "As my browser asks (now: English)" in account
        token = form_token(account)

        saved = client.post("/account/language", data={"csrf_token": token, "locale": "ja"})
        assert stored() == "ja" and "表示言語を保存しました。" in saved.text and visible(saved.text).lang == "ja"
        assert "受付一覧" in client.get("/tickets").text

        bad = client.post("/account/language", data={"csrf_token": token, "locale": "fr"})
        assert bad.status_code == 400 and bad.text == "表示されている言語から選んでください。" and stored() == "ja"

        client.post("/account/language", data={"csrf_token": token, "locale": "browser"})
        assert stored() is None
        assert visible(client.get("/tickets").text).lang == "en"
        assert visible(client.get("/tickets", headers={"Accept-Language": "ja"}).text).lang == "ja"
    with sessions() as session:
        changes = list(session.scalars(select(Event).where(Event.action == "staff_language_set")))
        assert [e.details["locale"] for e in changes] == ["ja", None]


def test_an_admin_sets_a_language_from_the_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "PRIVACY_DESK_DATA": str(tmp_path),
           "PRIVACY_DESK_ENV_FILE": str(tmp_path / "none.env")}
    cli = [sys.executable, "-m", "desk_app"]

    def run(*args: str, given: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args], env=env, cwd=PROJECT_ROOT, input=given, capture_output=True, text=True)

    assert run("db", "migrate").returncode == 0
    assert run("staff", "add", "carol", given=f"{PASSWORD}\n{PASSWORD}\n").returncode == 0
    assert run("staff", "language", "carol", "ja").stdout == "carol: ja\n"
    assert run("staff", "list").stdout.split("\t")[3] == "ja"
    unknown = run("staff", "language", "nobody", "ja")
    assert unknown.returncode == 1 and "no staff account 'nobody'" in unknown.stderr
    assert run("staff", "language", "carol", "fr").returncode == 2  # click refuses the choice
    assert run("staff", "language", "carol", "browser").returncode == 0
    assert run("staff", "list").stdout.split("\t")[3] == "browser"


def test_audit_values_are_worded_for_staff() -> None:
    assert event_value("confidence", 0.9406493175047936) == ["94%"]
    assert event_value("escalated", True) == ["yes"]
    assert event_value("actor", "sato") == ["sato"]  # a value no table words is kept as it is
