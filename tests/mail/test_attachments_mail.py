"""Attachments of real mail: delivered to Dovecot, fetched by the poller, stored with their message or refused
under the size limits, and the customer's first reply naming what we did not accept (English and Japanese)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from mail_ingest.pipeline import MailPipeline
from mail_ingest.poller import ImapSource, Poller, _uidvalidity
from privacy_desk.attachments import AttachmentLimits
from privacy_desk.classify import Classification
from privacy_desk.languages import Language
from privacy_desk.models import Attachment, Message, Ticket
from privacy_desk.policy import load_pack
from privacy_desk.settings import Settings
from tests.mail.builders import multipart_mail, tiny_jpeg, tiny_pdf
from tests.support.clock import Clock
from tests.support.imap import ImapServer

PACK = load_pack("itosoft")
SUPPORT = "privacy@itosoft.example.com"
LIMITS = AttachmentLimits(max_bytes=2048, mail_max_bytes=3072)
Deliver = Callable[..., int]  # raw mails in, how many the poller took


def classify(text: str, subject: str | None) -> Classification:
    """Stands in for Rasa, which these tests are not about: every mail here asks for its data to be deleted."""
    return Classification("request_deletion", 0.97, Language.EN, {"name": "Taro Yamada"})


@pytest.fixture
def mailbox(imap: ImapServer) -> str:
    return imap.new_mailbox("Attach")


@pytest.fixture
def deliver(imap: ImapServer, mailbox: str, sessions: sessionmaker[Session],
            clock: Clock) -> Deliver:
    """Put raw mail into the mailbox and let the poller take everything there, as it does in production."""
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    pipeline = MailPipeline(engine, PACK, b"k" * 32, SUPPORT, classify, clock=clock, attachment_limits=LIMITS)
    settings = Settings.from_mapping({"IMAP_HOST": imap.host, "IMAP_PORT": str(imap.port), "IMAP_TLS": "false",
                                      "IMAP_USER": imap.user, "IMAP_PASSWORD": imap.password})
    poller = Poller(ImapSource(settings), pipeline, engine, mailbox, threading.Event())

    def run(*raws: bytes) -> int:
        for raw in raws:
            imap.append(raw, mailbox)
        connection = ImapSource(settings).connect()
        try:
            return poller.drain(connection, _uidvalidity(connection, mailbox))
        finally:
            connection.logout()

    return run


def stored(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, int, bytes | None, str | None, int]]:
    with sessions() as session:
        rows = session.scalars(select(Attachment).order_by(Attachment.id))
        return [(a.filename, a.content_type, a.status, a.size, a.data, a.refusal_reason, a.message_id) for a in rows]


def first_reply(sessions: sessionmaker[Session]) -> Message:
    with sessions() as session:
        reply = session.scalar(select(Message).where(Message.direction == "out").order_by(Message.id))
        assert reply is not None
        return reply


def test_a_mails_pdf_and_jpeg_are_kept_with_their_message(deliver: Deliver, sessions: sessionmaker[Session]) -> None:
    pdf, jpeg = tiny_pdf(), tiny_jpeg()
    assert deliver(multipart_mail("Please delete my data.\n\nTaro Yamada", [
        ("disclosure-form.pdf", "application/pdf", pdf), ("写真.jpg", "image/jpeg", jpeg)])) == 1
    rows = stored(sessions)
    assert [r[:5] for r in rows] == [("disclosure-form.pdf", "application/pdf", "stored", len(pdf), pdf),
                                     ("写真.jpg", "image/jpeg", "stored", len(jpeg), jpeg)]
    with sessions() as session:
        message = session.get(Message, rows[0][6])
        assert message is not None and message.direction == "in" and message.ticket_id is not None
        assert "Please delete my data." in message.body
        assert [a.sha256 for a in message.attachments] == [hashlib.sha256(pdf).hexdigest(),
                                                           hashlib.sha256(jpeg).hexdigest()]
        assert "attachments" not in message.meta  # the bytes are in their own rows, not in the message's JSON
    reply = first_reply(sessions)
    assert "could not accept" not in reply.body


def test_files_over_the_limits_are_refused_and_the_mail_is_kept(deliver: Deliver,
                                                                 sessions: sessionmaker[Session]) -> None:
    pdf, jpeg = tiny_pdf(), tiny_jpeg()
    too_big, too_many = b"\x89" * 2500, b"%PDF-1.4\n" + b"0" * 1900  # over 2 KB; takes the mail over 3 KB
    deliver(multipart_mail("Please delete my data. My records are attached.\n\nTaro Yamada", [
        ("scan.pdf", "application/pdf", pdf), ("passport.tiff", "image/tiff", too_big),
        ("photo.jpg", "image/jpeg", jpeg), ("statement.pdf", "application/pdf", too_many)]))
    rows = stored(sessions)
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("scan.pdf", "stored", len(pdf), pdf, None),
        ("passport.tiff", "refused", 2500, None, "larger than the per-file limit"),
        ("photo.jpg", "stored", len(jpeg), jpeg, None),
        ("statement.pdf", "refused", len(too_many), None, "the mail's files together exceed the per-mail limit")]
    with sessions() as session:
        kept = session.scalar(select(Message).where(Message.direction == "in"))
        assert kept is not None and "My records are attached." in kept.body and kept.ticket_id is not None
    reply = first_reply(sessions)
    assert reply.language == "en" and reply.delivery_state == "queued"
    assert "We could not accept these files attached to your mail: passport.tiff, statement.pdf." in reply.body
    assert "We accept files of up to 2 KB each and 3 KB per mail." in reply.body
    assert "scan.pdf" not in reply.body and "photo.jpg" not in reply.body


def test_a_japanese_customer_is_told_in_japanese(deliver: Deliver, sessions: sessionmaker[Session]) -> None:
    deliver(multipart_mail("私の個人情報を削除してください。\n\n山田太郎", [
        ("保険証の写し.pdf", "application/pdf", b"%PDF-1.4\n" + b"1" * 2500)],
        subject="個人情報の削除のお願い", message_id="<ja-1@example.jp>"))
    (row,) = stored(sessions)
    assert (row[0], row[2], row[4]) == ("保険証の写し.pdf", "refused", None)
    reply = first_reply(sessions)
    assert reply.language == "ja"
    assert "添付ファイル（保険証の写し.pdf）は、受け付けることができませんでした。" in reply.body
    assert "1ファイルあたり2 KB、1通のメールあたり合計3 KBまで" in reply.body


def test_a_reply_on_the_ticket_with_a_file_too_big_gets_a_reply_saying_so(deliver: Deliver,
                                                                          sessions: sessionmaker[Session]) -> None:
    deliver(multipart_mail("Please delete my data.\n\nTaro Yamada", []))
    with sessions() as session:
        reference = session.scalar(select(Ticket.reference))
    assert reference is not None
    deliver(multipart_mail("Here is the scan of my ID.", [("id-scan.png", "image/png", b"\x89PNG" + b"\0" * 3000)],
                           subject=f"Re: [{reference}] Please confirm", message_id="<a2@example.jp>"))
    with sessions() as session:
        replies = list(session.scalars(select(Message).where(Message.direction == "out").order_by(Message.id)))
        assert [m.purpose for m in replies] == ["verify_identity", "attachment_refused"]
        notice = replies[-1]
        assert notice.recipient == "taro@example.jp" and notice.in_reply_to == "<a2@example.jp>"
        assert notice.subject == f"[{reference}] We could not accept a file you sent"
        assert "We could not accept this file attached to your mail: id-scan.png." in notice.body
        assert (notice.ticket_id is not None and
                session.scalar(select(Attachment.status).where(Attachment.filename == "id-scan.png")) == "refused")
