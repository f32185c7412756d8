"""The outbox worker: sends queued mail over SMTP, with retry and backoff. Nothing is sent twice on purpose.

A reply is decided and queued in one transaction elsewhere; here each queued row is claimed (`sending`),
sent, and marked `sent`. A failed attempt goes back to `queued` with a later `next_attempt_at`; after
MAX_ATTEMPTS it becomes `failed`, for staff to see. A worker that dies mid-send leaves a `sending` row that
is queued again after STALE_CLAIM: the same Message-ID goes out, so mail clients show at most one copy.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from privacy_desk.attachments import AttachmentStatus
from privacy_desk.mail_out import OutgoingFile, compose
from privacy_desk.messages import Delivery, utcnow
from privacy_desk.models import Message
from privacy_desk.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STALE_CLAIM = timedelta(minutes=10)
SENDING = "sending"


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 15 s, 30 s, 1 min, 2 min ... capped at one hour."""
    return timedelta(seconds=min(3600, 15 * 2 ** max(0, attempts - 1)))


class SmtpSender:
    """The only place that talks SMTP."""

    def __init__(self, settings: Settings, timeout: float = 20.0) -> None:
        self.settings = settings
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        context = ssl.create_default_context()
        smtp = (smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=self.timeout, context=context)
                if s.smtp_security == "ssl" else smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout))
        with smtp:
            if s.smtp_security == "starttls":
                smtp.starttls(context=context)
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
            smtp.send_message(message)


class Outbox:
    def __init__(self, sessions: sessionmaker[Session], send: Callable[[EmailMessage], None], mail_from: str,
                 sender_name: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions = sessions
        self.send = send
        self.mail_from = mail_from
        self.sender_name = sender_name
        self.clock = clock

    def requeue_stale(self) -> int:
        with self.sessions.begin() as session:
            result = session.execute(
                update(Message).where(Message.delivery_state == SENDING,
                                      Message.next_attempt_at < self.clock() - STALE_CLAIM)
                .values(delivery_state=Delivery.QUEUED))
            return int(getattr(result, "rowcount", 0) or 0)  # an UPDATE's result is a CursorResult

    def claim(self, limit: int = 20) -> list[int]:
        now = self.clock()
        with self.sessions.begin() as session:
            ids = list(session.scalars(
                select(Message.id).where(Message.direction == "out", Message.delivery_state == Delivery.QUEUED,
                                         Message.next_attempt_at <= now)
                .order_by(Message.next_attempt_at, Message.id).limit(limit)
                .with_for_update(skip_locked=True)))
            if ids:
                # next_attempt_at doubles as the claim time, for requeue_stale.
                session.execute(update(Message).where(Message.id.in_(ids))
                                .values(delivery_state=SENDING, next_attempt_at=now))
            return ids

    def deliver(self, message_id: int) -> bool:
        with self.sessions() as session:
            row = session.get(Message, message_id)
            if row is None or row.delivery_state != SENDING:
                return False
            files = [OutgoingFile(a.filename, a.content_type, a.data) for a in row.attachments
                     if a.status == AttachmentStatus.STORED and a.data is not None]
            mail = compose(mail_from=self.mail_from, sender_name=self.sender_name, to=row.recipient or "",
                           subject=row.subject or "", body=row.body, message_id=row.message_id or "",
                           language=row.language, date=row.created_at, in_reply_to=row.in_reply_to,
                           references=row.references, attachments=files)
        try:
            self.send(mail)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            self._failed(message_id, exc)
            return False
        with self.sessions.begin() as session:
            row = session.get(Message, message_id)
            if row is not None:
                row.delivery_state, row.sent_at, row.last_error = Delivery.SENT, self.clock(), None
                row.attempts += 1
                secret = (row.meta or {}).get("secret")
                if secret:
                    # The customer has the code now; our copy keeps no usable one.
                    row.body = row.body.replace(secret, "*" * len(secret))
                    row.meta = {k: v for k, v in row.meta.items() if k != "secret"}
        log.info("sent message %s", message_id)
        return True

    def _failed(self, message_id: int, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"[:500]
        with self.sessions.begin() as session:
            row = session.get(Message, message_id)
            if row is None:
                return
            row.attempts += 1
            row.last_error = reason
            if row.attempts >= MAX_ATTEMPTS:
                row.delivery_state = Delivery.FAILED
                log.error("giving up on message %s after %s attempts: %s", message_id, row.attempts, reason)
            else:
                row.delivery_state = Delivery.QUEUED
                row.next_attempt_at = self.clock() + backoff(row.attempts)
                log.warning("message %s not sent (attempt %s), retrying at %s: %s", message_id, row.attempts,
                            row.next_attempt_at.isoformat(timespec="seconds"), reason)

    def run_once(self) -> int:
        return sum(self.deliver(i) for i in self.claim())

    def run_forever(self, stop: threading.Event, interval: float = 1.0) -> None:
        self.requeue_stale()
        log.info("outbox worker started")
        while not stop.is_set():
            try:
                sent = self.run_once()
            except Exception:  # a database hiccup must not end the worker; it says so and tries again
                log.exception("outbox pass failed; retrying")
                sent = 0
            if not sent:
                stop.wait(interval)
