"""The email channel end to end: Dovecot (IMAP), the poller and outbox processes, Rasa NLU, aiosmtpd (SMTP)."""

from __future__ import annotations

import json
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
from sqlalchemy import select

from privacy_desk.db import make_engine, migrate, session_factory
from privacy_desk.models import MailboxState, Message, Ticket
from privacy_desk.policy import RequestKind, load_pack
from privacy_desk.verification import find_code
from tests.mail.builders import encoded_word, mail
from tests.support.imap import ImapServer
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.stack import ChatStack, app_env, background

pytestmark = pytest.mark.rasa
PACK = load_pack("itosoft")
SUPPORT = "privacy@itosoft.example.com"
ALIAS = "helpdesk@itosoft.example.com"  # another address of ours, listed in MAIL_ALIASES


@dataclass
class MailDesk:
    imap: ImapServer
    smtp: SmtpServer
    database_url: str
    mailbox: str

    def send(self, raw: bytes) -> None:
        self.imap.append(raw, self.mailbox)

    def tickets(self) -> list[Ticket]:
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                tickets = list(session.scalars(select(Ticket).order_by(Ticket.id)))
                for t in tickets:
                    _ = t.messages, t.events
                return tickets
        finally:
            engine.dispose()

    def held(self, text: str) -> Message:
        """The mail kept for staff (no ticket, not answered) whose body holds this text."""
        return self.wait(lambda: next((m for m in self.messages() if m.delivery_state == "held" and text in m.body),
                                      None), what=f"held mail with {text!r}")

    def messages(self) -> list[Message]:
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                return list(session.scalars(select(Message).order_by(Message.id)))
        finally:
            engine.dispose()

    def committed_uid(self) -> int:
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                state = session.get(MailboxState, self.mailbox)
                return state.last_uid if state is not None else 0
        finally:
            engine.dispose()

    def wait(self, condition, timeout: float = 60.0, what: str = "condition"):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}")

    def mail_to(self, address: str, count: int = 1, timeout: float = 60.0) -> list[EmailMessage]:
        def found() -> list[EmailMessage]:
            with self.smtp.mailbox.lock:
                got = [m for m in self.smtp.mailbox.messages if address in str(m["To"])]
            return got if len(got) >= count else []
        return self.wait(found, timeout, f"{count} mail(s) to {address}")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, imap: ImapServer, chat: ChatStack) -> Iterator[MailDesk]:
    work = tmp_path_factory.mktemp("mail")
    database_url = f"sqlite:///{work / 'mail.db'}"
    migrate(database_url)
    mailbox = imap.new_mailbox("Support")
    with smtp_server() as smtp:
        env = {**app_env(database_url, smtp.port, work), **imap.env(mailbox), "RASA_URL": chat.rasa_url,
               "MAIL_FROM": SUPPORT, "MAIL_ALIASES": ALIAS}
        cli = [sys.executable, "-m", "desk_app"]
        with background([*cli, "mail", "poll"], env, work / "poller.log"), \
                background([*cli, "outbox", "run", "--interval", "0.2"], env, work / "outbox.log"):
            yield MailDesk(imap, smtp, database_url, mailbox)
        logs = " ".join(p.read_text(errors="replace") for p in Path(work).glob("*.log"))
        assert "@example.jp" not in logs, "personal data in the poller or outbox log"


def customer() -> str:
    return f"cust-{uuid.uuid4().hex[:8]}@example.jp"


def request_mail(sender: str, subject: str, body: str, **extra: str) -> bytes:
    return mail(body.encode(), sender=f"Hanako Suzuki <{sender}>", subject=subject,
                message_id=make_msgid(domain="example.jp"), extra=extra)


BODIES = {
    RequestKind.DISCLOSURE: ("Request for disclosure", "Please send me a copy of all personal data you hold about me."),
    RequestKind.CORRECTION: ("Address change", "My registered address is wrong. Please correct it to 2-3-4 Minato, "
                                               "Tokyo."),
    RequestKind.DELETION: ("Delete my data", "Please delete my account and erase all my personal data."),
    RequestKind.DISCONTINUANCE: ("Stop using my data", "Please stop using my personal information for any purpose."),
    RequestKind.THIRD_PARTY_OPTOUT: ("Third parties", "Please stop providing my personal data to your partner "
                                                      "companies and other third parties."),
    RequestKind.MARKETING_OPTOUT: ("Unsubscribe", "Please stop sending me your newsletter and seminar "
                                                  "invitations."),
    RequestKind.COMPLAINT: ("Complaint", "I am writing to complain: you leaked my personal information to "
                                         "another customer."),
}


def ticket_of(desk: MailDesk, address: str) -> Ticket:
    return desk.wait(lambda: next((t for t in desk.tickets() if t.email == address), None), what=f"ticket {address}")


@pytest.mark.parametrize("kind", list(BODIES), ids=[k.value for k in BODIES])
def test_each_request_kind_opens_a_ticket_and_gets_one_reply(desk: MailDesk, kind: RequestKind) -> None:
    address = customer()
    subject, body = BODIES[kind]
    signature = "\n\nBest regards,\nHanako Suzuki\nExample K.K., General Affairs\nTel: 03-1234-5678\n"
    desk.send(request_mail(address, subject, body + signature))
    ticket = ticket_of(desk, address)
    assert ticket.kind == kind.value and ticket.channel == "email"
    (reply,) = desk.mail_to(address)
    assert ticket.reference in reply["Subject"]
    assert reply["Auto-Submitted"] == "auto-replied" and reply["In-Reply-To"] == ticket.messages[0].message_id
    assert ".privacy-desk@itosoft.example.com>" in reply["Message-ID"]
    time.sleep(1)
    assert len(desk.mail_to(address)) == 1  # exactly one reply


def test_missing_details_round_trip_with_identity_check(desk: MailDesk) -> None:
    address = customer()
    desk.send(mail(b"Please delete all my data.", sender=address, subject="delete",
                   message_id=make_msgid(domain="example.jp")))
    ticket = ticket_of(desk, address)
    rule = PACK.rule(RequestKind(ticket.kind))
    (ask,) = desk.mail_to(address)
    if ticket.status == "awaiting_details":
        assert "need the following" in ask.get_content()
        reply = (b"My name is Hanako Suzuki, phone 03-1234-5678, member number M-204511.\n\n"
                 b"Hanako Suzuki\nTel: 03-1234-5678\n")
        desk.send(mail(reply, sender=address, subject=f"Re: {ask['Subject']}",
                       message_id=make_msgid(domain="example.jp"), extra={"In-Reply-To": ask["Message-ID"]}))
        code_mail = desk.mail_to(address, 2)[-1]
    else:
        code_mail = ask
    assert rule.needs_identity
    code = find_code(code_mail.get_content())
    assert code, code_mail.get_content()
    desk.send(mail(f"The code is {code}".encode(), sender=address, subject=f"Re: {code_mail['Subject']}",
                   message_id=make_msgid(domain="example.jp")))
    ack = desk.mail_to(address, 3 if ticket.status == "awaiting_details" else 2)[-1]
    assert "We have received your request" in ack["Subject"]
    final = ticket_of(desk, address)
    assert final.identity_confirmed_at is not None and final.status == "open"
    assert final.name == "Hanako Suzuki"  # merged from the reply


def test_threading_by_in_reply_to_without_reference(desk: MailDesk) -> None:
    address = customer()
    desk.send(request_mail(address, "Unsubscribe", "Please stop sending me promotional emails."))
    ticket = ticket_of(desk, address)
    (reply,) = desk.mail_to(address)
    desk.send(mail(b"Thanks, one more thing: my phone is 03-9999-0000.", sender=address, subject="thanks",
                   message_id=make_msgid(domain="example.jp"), extra={"In-Reply-To": reply["Message-ID"],
                                                                       "References": reply["Message-ID"]}))
    desk.wait(lambda: len(ticket_of(desk, address).messages) >= 3, what="follow-up on the ticket")
    assert len([t for t in desk.tickets() if t.email == address]) == 1
    assert ticket_of(desk, address).reference == ticket.reference


def test_machines_are_never_answered(desk: MailDesk) -> None:
    address = customer()
    for extra in ({"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"List-Id": "<l.example.jp>"},
                  {"Return-Path": "<>"}):
        desk.send(request_mail(address, "Please delete my data", "Please delete my personal data.", **extra))
    desk.send(request_mail(SUPPORT, "Please delete my data", "Please delete my personal data."))
    marker = customer()
    desk.send(request_mail(marker, "Delete", "Please delete my personal data."))
    ticket_of(desk, marker)  # processed after the machine mails
    time.sleep(1)
    assert not [t for t in desk.tickets() if t.email in {address, SUPPORT}]
    with desk.smtp.mailbox.lock:
        assert not [m for m in desk.smtp.mailbox.messages if address in str(m["To"]) or SUPPORT in str(m["To"])]


def test_unparseable_mail_is_quarantined_and_the_poller_goes_on(desk: MailDesk) -> None:
    desk.send(b"\r\n\r\n")
    address = customer()
    desk.send(request_mail(address, "Delete", "Please delete my personal data."))
    ticket_of(desk, address)
    assert any(m.delivery_state == "quarantined" for m in desk.messages())


def test_committed_mail_is_flagged_as_processed(desk: MailDesk) -> None:
    desk.send(request_mail(customer(), "Delete", "Please delete my personal data."))
    desk.send(mail(b"I am away until Monday.", sender=customer(), subject="Out of office",
                   message_id=make_msgid(domain="example.jp"), extra={"Auto-Submitted": "auto-replied"}))
    client = desk.imap.client()
    try:
        total = int(client.select(desk.mailbox)[1][0])
    finally:
        client.logout()
    desk.wait(lambda: desk.committed_uid() >= total, what="every message committed")
    # Flags follow the commits (one STORE per fetched batch): every committed message, machine mail included.
    desk.wait(lambda: desk.imap.flagged("$PrivacyDesk", desk.mailbox) == list(range(1, total + 1)),
              what="every committed message flagged")


@pytest.mark.parametrize(("codec", "charset"), [("iso2022_jp", "ISO-2022-JP"), ("cp932", "Shift_JIS"),
                                               ("euc_jp", "EUC-JP"), ("utf-8", "ISO-2022-JP")])
def test_japanese_mail_is_decoded(desk: MailDesk, chat: ChatStack, tmp_path: Path, codec: str, charset: str) -> None:
    body = "お世話になっております。\n個人情報の削除をお願いします。\n\n山田 太郎\n".encode(codec)
    eml = tmp_path / "ja.eml"
    eml.write_bytes(mail(body, charset=charset, cte="7bit" if codec.startswith("iso") else "8bit",
                         sender=customer(), subject=encoded_word("個人情報削除のお願い"),
                         message_id=make_msgid(domain="example.jp")))
    env = {**app_env(desk.database_url, desk.smtp.port, tmp_path), "RASA_URL": chat.rasa_url}
    result = subprocess.run([sys.executable, "-m", "desk_app", "mail", "process", str(eml), "--dry-run", "--json"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["action"] != "quarantined" and decision["language"] == "ja"


def test_mail_import_folder_and_mbox(chat: ChatStack, tmp_path: Path) -> None:
    import mailbox

    folder = tmp_path / "eml"
    folder.mkdir()
    raws = [request_mail(customer(), "Delete", "Please delete my personal data."),
            request_mail(customer(), "Question", "How long do you keep my personal data?"),
            request_mail(customer(), "Away", "I am out of the office.", **{"Auto-Submitted": "auto-replied"})]
    for i, raw in enumerate(raws):
        (folder / f"{i}.eml").write_bytes(raw)
    box = mailbox.mbox(tmp_path / "inbox.mbox")
    for raw in raws:
        box.add(mailbox.mboxMessage(raw.replace(b"m1@", b"mbox@")))
    box.flush()
    database_url = f"sqlite:///{tmp_path / 'import.db'}"
    env = {**app_env(database_url, 1, tmp_path), "RASA_URL": chat.rasa_url}
    cli = [sys.executable, "-m", "desk_app", "mail", "import"]
    first = subprocess.run([*cli, str(folder)], capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "total: 1 answered, 1 ignored, 1 opened"
    again = subprocess.run([*cli, str(folder)], capture_output=True, text=True, env=env, timeout=120)
    assert again.stdout.strip().splitlines()[-1] == "total: 3 ignored"  # the same Message-IDs: nothing twice
    mbox = subprocess.run([*cli, str(tmp_path / "inbox.mbox")], capture_output=True, text=True, env=env, timeout=120)
    assert mbox.returncode == 0 and "inbox.mbox#3" in mbox.stdout
