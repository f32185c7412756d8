"""Staff mail through the real outbox and a real SMTP server (aiosmtpd), on the fake clock: who gets the daily
digest and the new-ticket notice, in which language, exactly once over repeated runs and restarts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import EmailMessage

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from privacy_desk import staff_mail
from privacy_desk.db import transaction
from privacy_desk.desk import Desk
from privacy_desk.languages import Language
from privacy_desk.messages import Channel
from privacy_desk.models import Message, StaffDigestSent, StaffNoticeSent, Ticket
from privacy_desk.outbox import Outbox, SmtpSender
from privacy_desk.policy import RequestKind
from privacy_desk.settings import Settings
from privacy_desk.staff import AccountError, Role, StaffAccounts
from privacy_desk.staff_notices import (
    DigestLine,
    DigestPass,
    StaffMailConfig,
    digest_day,
    queue_due_digests,
    queue_new_ticket_notices,
    split_digest,
)
from tests.staff.conftest import MAIL_FROM, PACK, PASSWORD
from tests.support.clock import Clock
from tests.support.smtp import SmtpServer

CONFIG = StaffMailConfig(MAIL_FROM, "https://desk.example.com", digest_days=3, digest_hour=8)
# Monday 23 November 2026 is Labour Thanksgiving Day, a public holiday in Japan; the 24th and 25th are not.
HOLIDAY_EVENING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 18:00 in Tokyo
TUESDAY_7AM = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 07:00 in Tokyo, before the digest hour
TUESDAY_9AM = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo
WEDNESDAY_9AM = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)


def member(sessions: sessionmaker[Session], username: str, *, email: str | None, digest: bool, notice: bool,
           active: bool = True) -> None:
    with transaction(sessions) as session:
        accounts = StaffAccounts(session)
        accounts.add(username, username.title(), PASSWORD, Role.STAFF)
        accounts.set_notifications(username, "test", email=email or "", wants_digest=digest,
                                   wants_new_ticket_notice=notice)
        if not active:
            accounts.set_active(username, False, "test")


@pytest.fixture
def team(sessions: sessionmaker[Session]) -> None:
    member(sessions, "alice", email="alice@itosoft.example.com", digest=True, notice=True)
    member(sessions, "bob", email="bob@itosoft.example.com", digest=True, notice=False)
    member(sessions, "carol", email=None, digest=True, notice=True)  # no address: nothing
    member(sessions, "dave", email="dave@itosoft.example.com", digest=True, notice=True, active=False)
    member(sessions, "erin", email="erin@itosoft.example.com", digest=False, notice=True)


def outbox(sessions: sessionmaker[Session], smtp: SmtpServer, clock: Clock) -> Outbox:
    settings = Settings.from_mapping({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port)})
    return Outbox(sessions, SmtpSender(settings, timeout=5).send, MAIL_FROM, PACK.company.name.en, clock=clock)


def staff_mail_in(smtp: SmtpServer) -> list[EmailMessage]:
    with smtp.mailbox.lock:
        return [m for m in smtp.mailbox.messages if str(m["To"]).endswith("@itosoft.example.com")]


def open_ticket(desk: Desk, email: str, channel: str = Channel.EMAIL) -> str:
    outcome = desk.open_request(kind=RequestKind.MARKETING_OPTOUT, details={"name": "Hanako Suzuki", "email": email},
                                channel=channel, language=Language.EN, actor="mail")
    assert outcome.reference is not None
    return outcome.reference


def set_due(sessions: sessionmaker[Session], reference: str, due: date, status: str | None = None) -> None:
    with transaction(sessions) as session:
        values: dict[str, object] = {"due_date": due}
        if status:
            values["status"] = status
        session.execute(update(Ticket).where(Ticket.reference == reference).values(**values))


def test_new_ticket_notice_goes_once_to_each_member_who_chose_it(
        sessions: sessionmaker[Session], smtp: SmtpServer, clock: Clock, team: None) -> None:
    clock.now = TUESDAY_9AM
    desk = Desk(sessions, PACK, b"k" * 32, MAIL_FROM, clock=clock, staff_app_url=CONFIG.staff_app_url)
    reference = open_ticket(desk, "hanako@example.jp")
    assert outbox(sessions, smtp, clock).run_once() >= 2  # the customer's acknowledgement and the notices
    smtp.mailbox.wait_for(3)
    notices = staff_mail_in(smtp)
    assert sorted(str(m["To"]) for m in notices) == ["alice@itosoft.example.com", "erin@itosoft.example.com"]
    for mail in notices:
        body = mail.get_content()
        assert mail["Subject"] == f"New marketing opt-out request {reference}"
        assert mail["Content-Language"] == "en"
        assert f"https://desk.example.com/tickets/{reference}" in body and "Due: Tue 1 Dec 2026" in body
        assert "hanako@example.jp" not in body and "Suzuki" not in body  # no customer details

    # Again for the same ticket (a retried step, a second worker): nobody is told twice.
    with transaction(sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket is not None
        assert queue_new_ticket_notices(session, ticket, CONFIG, clock()) == []
    assert outbox(sessions, smtp, clock).run_once() == 0
    with sessions() as session:
        assert len(session.scalars(select(StaffNoticeSent)).all()) == 2


def test_tickets_staff_open_themselves_bring_no_notice(sessions: sessionmaker[Session], clock: Clock,
                                                       team: None) -> None:
    desk = Desk(sessions, PACK, b"k" * 32, MAIL_FROM, clock=clock)
    open_ticket(desk, "walkin@example.jp", channel=Channel.STAFF)
    with sessions() as session:
        assert session.scalars(select(StaffNoticeSent)).all() == []


def test_the_digest_goes_once_a_business_day_from_its_hour_to_each_member_who_chose_it(
        sessions: sessionmaker[Session], smtp: SmtpServer, clock: Clock, team: None) -> None:
    clock.now = HOLIDAY_EVENING
    desk = Desk(sessions, PACK, b"k" * 32, MAIL_FROM, clock=clock)
    overdue, soon, later, finished = (open_ticket(desk, f"c{i}@example.jp") for i in range(4))
    set_due(sessions, overdue, date(2026, 11, 20))
    set_due(sessions, soon, date(2026, 11, 27))  # the third business day after Tuesday the 24th
    set_due(sessions, later, date(2026, 11, 30))  # the fourth: not yet
    set_due(sessions, finished, date(2026, 11, 19), status="resolved")
    sender = outbox(sessions, smtp, clock)
    sender.run_once()
    smtp.mailbox.wait_for(4 + 2 * 4)  # acknowledgements and the notices to alice and erin
    before = len(staff_mail_in(smtp))

    # A holiday, then a business day before the digest hour: nothing.
    assert queue_due_digests(sessions, PACK, CONFIG, clock).day is None
    clock.now = TUESDAY_7AM
    assert queue_due_digests(sessions, PACK, CONFIG, clock).day is None

    clock.now = TUESDAY_9AM
    first = queue_due_digests(sessions, PACK, CONFIG, clock)
    assert (first.day, first.sent, first.empty) == (date(2026, 11, 24), 2, 0)
    # Hourly checks, and a restarted housekeeper, later that day: recorded, so nothing more.
    clock.now = TUESDAY_9AM.replace(hour=5)
    assert queue_due_digests(sessions, PACK, CONFIG, clock).sent == 0
    assert sender.run_once() == 2
    smtp.mailbox.wait_for(before + 2 + 4)
    digests = [m for m in staff_mail_in(smtp)[before:] if "due or overdue" in str(m["Subject"])]
    assert sorted(str(m["To"]) for m in digests) == ["alice@itosoft.example.com", "bob@itosoft.example.com"]
    for mail in digests:
        body = mail.get_content()
        assert mail["Subject"] == "2 requests due or overdue (Tue 24 Nov 2026)"
        assert mail["Content-Language"] == "en"
        assert body.index("Overdue (1):") < body.index(overdue) < body.index("Due within 3 business days:")
        assert body.index("Due within 3 business days:") < body.index(soon)
        assert later not in body and finished not in body
        assert "due Fri 20 Nov 2026" in body and "https://desk.example.com/account" in body
        assert "@example.jp" not in body and "Suzuki" not in body

    clock.now = WEDNESDAY_9AM
    assert queue_due_digests(sessions, PACK, CONFIG, clock).sent == 2  # the next business day, once more
    assert queue_due_digests(sessions, PACK, CONFIG, clock).sent == 0
    with sessions() as session:
        rows = session.execute(select(StaffDigestSent.day, Message.recipient, Message.language)
                               .join(Message, Message.id == StaffDigestSent.message_id)
                               .order_by(StaffDigestSent.day, Message.recipient)).all()
    assert [(d.isoformat(), r, lang) for d, r, lang in rows] == [
        ("2026-11-24", "alice@itosoft.example.com", "en"), ("2026-11-24", "bob@itosoft.example.com", "en"),
        ("2026-11-25", "alice@itosoft.example.com", "en"), ("2026-11-25", "bob@itosoft.example.com", "en")]


def test_a_day_with_nothing_due_is_recorded_and_sends_nothing(sessions: sessionmaker[Session], clock: Clock,
                                                               team: None) -> None:
    clock.now = TUESDAY_9AM
    done = queue_due_digests(sessions, PACK, CONFIG, clock)
    assert (done.sent, done.empty) == (0, 2)
    assert queue_due_digests(sessions, PACK, CONFIG, clock).empty == 0
    with sessions() as session:
        assert session.scalars(select(Message).where(Message.purpose == "staff_digest")).all() == []


def test_the_locale_goes_to_the_one_translations_hook_and_the_date_format(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    real = staff_mail.staff_mail_translations
    monkeypatch.setattr(staff_mail, "staff_mail_translations", lambda locale: asked.append(locale) or real(locale))
    staff_mail._environment.cache_clear()
    try:
        rendered = staff_mail.render_staff_mail(staff_mail.StaffMail.NEW_TICKET, "ja", {
            "display_name": "Bob", "reference": "PRQ-2026-000001", "kind": "deletion", "status": "open",
            "channel": "chat", "due": staff_mail.format_staff_date(date(2026, 11, 24), "ja"), "link": "https://x"})
    finally:
        staff_mail._environment.cache_clear()
    assert asked == ["ja"]
    assert "2026年11月24日（火）" in rendered.body
    assert staff_mail.format_staff_date(date(2026, 11, 24), "en") == "Tue 24 Nov 2026"
    with pytest.raises(KeyError):
        staff_mail.render_staff_mail("nonexistent", "en", {})


def test_digest_day_and_split_are_decided_without_io() -> None:
    calendar = PACK.calendar
    assert digest_day(HOLIDAY_EVENING, calendar, 8) is None
    assert digest_day(TUESDAY_7AM, calendar, 8) is None
    assert digest_day(TUESDAY_7AM, calendar, 7) == date(2026, 11, 24)
    lines = [DigestLine("PRQ-2026-000003", "deletion", "open", date(2026, 11, 26), None),
             DigestLine("PRQ-2026-000001", "deletion", "in_progress", date(2026, 11, 20), "bob"),
             DigestLine("PRQ-2026-000002", "deletion", "closed", date(2026, 11, 19), None),
             DigestLine("PRQ-2026-000004", "deletion", "open", date(2026, 12, 1), None)]
    overdue, soon = split_digest(lines, date(2026, 11, 24), date(2026, 11, 27))
    assert [line.reference for line in overdue] == ["PRQ-2026-000001"]
    assert [line.reference for line in soon] == ["PRQ-2026-000003"]


def test_a_bad_staff_address_is_refused_and_changes_nothing(sessions: sessionmaker[Session], team: None) -> None:
    with pytest.raises(AccountError, match="not an email address"), transaction(sessions) as session:
        StaffAccounts(session).set_notifications("bob", "test", email="bob at itosoft", wants_digest=False)
    with sessions() as session:
        bob = StaffAccounts(session).find("bob")
        assert bob is not None and bob.email == "bob@itosoft.example.com" and bob.wants_digest


def test_housekeeping_checks_for_digests_between_retention_runs(sessions: sessionmaker[Session], smtp: SmtpServer,
                                                                clock: Clock, team: None) -> None:
    import threading

    from privacy_desk.housekeeping import run_every

    clock.now = TUESDAY_9AM
    desk = Desk(sessions, PACK, b"k" * 32, MAIL_FROM, clock=clock)
    set_due(sessions, open_ticket(desk, "late@example.jp"), date(2026, 11, 20))
    sender = outbox(sessions, smtp, clock)
    assert sender.run_once() == 3  # the acknowledgement and two notices
    passes: list[int] = []

    def digests() -> DigestPass:
        done = queue_due_digests(sessions, PACK, CONFIG, clock)
        passes.append(done.sent)
        return done

    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    retention_runs = run_every(sessions, PACK, 3600, stop, clock=clock, digests=digests, check_every=0.1)
    assert retention_runs == 1 and len(passes) >= 3  # retention once an interval, digests at every check
    assert passes[0] == 2 and set(passes[1:]) == {0}  # and each member's digest once
    assert sender.run_once() == 2
    assert len(smtp.mailbox.wait_for(5)) == 5


def test_a_japanese_member_gets_staff_mail_in_japanese(sessions: sessionmaker[Session], smtp: SmtpServer,
                                                       clock: Clock) -> None:
    member(sessions, "hana", email="hana@itosoft.example.com", digest=True, notice=True)
    with transaction(sessions) as session:
        StaffAccounts(session).set_locale("hana", "ja", "test")
    clock.now = TUESDAY_9AM
    desk = Desk(sessions, PACK, b"k" * 32, MAIL_FROM, clock=clock, staff_app_url=CONFIG.staff_app_url)
    reference = open_ticket(desk, "hanako@example.jp")
    assert outbox(sessions, smtp, clock).run_once() >= 2
    smtp.mailbox.wait_for(2)
    [notice] = staff_mail_in(smtp)
    body = notice.get_content().replace("\r\n", "\n")
    assert notice["Subject"] == f"新しい受付：広告・宣伝の配信停止 {reference}"
    assert notice["Content-Language"] == "ja"
    assert body.startswith("Hana 様\n") and "アシスタントがメールで受け付けた請求です。" in body
    assert "種類： 広告・宣伝の配信停止" in body and "期限： 2026年12月1日（火）" in body
    assert "Kind:" not in body and "Due:" not in body and "account page" not in body

    set_due(sessions, reference, date(2026, 11, 20))
    assert queue_due_digests(sessions, PACK, CONFIG, clock).sent == 1
    with sessions() as session:
        digest = session.scalars(select(Message).where(Message.purpose == "staff_digest")).one()
    assert digest.subject == "期限切れ・期限間近の受付 1 件（2026年11月24日（火））"
    assert "期限超過（1 件）：" in digest.body and "期限 2026年11月20日（金）" in digest.body
    assert "Overdue" not in digest.body and "due " not in digest.body
