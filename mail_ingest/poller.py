"""The IMAP poller: IDLE where the server offers it, polling otherwise; reconnects with backoff; never silent.

Exactly once: each message's outcome and the mailbox position (UIDVALIDITY, last UID) commit in one
transaction, and the message is flagged only after that commit. Killed at any point, a restart resumes after
the last committed UID, and a message whose outcome committed but whose flag did not is skipped by position
(and by its Message-ID).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

import imaplib2
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mail_ingest.pipeline import MailPipeline
from privacy_desk.classify import NluUnavailable
from privacy_desk.mailbox_state import MailboxPosition, load_position
from privacy_desk.settings import Settings

log = logging.getLogger(__name__)
PROCESSED_FLAG = "$PrivacyDesk"
MAX_BACKOFF = 60.0


class ImapSource:
    """The only place that opens an IMAP connection."""

    def __init__(self, settings: Settings, timeout: float = 60.0) -> None:
        self.settings = settings
        self.timeout = timeout

    def connect(self) -> imaplib2.IMAP4:
        s = self.settings
        cls = imaplib2.IMAP4_SSL if s.imap_tls else imaplib2.IMAP4
        connection = cls(s.imap_host, s.imap_port, timeout=self.timeout)
        try:
            connection.login(s.imap_user, s.imap_password)
        except Exception:
            connection.logout()
            raise
        return connection


def _uidvalidity(connection: imaplib2.IMAP4, mailbox: str) -> int:
    typ, data = connection.select(mailbox)
    if typ != "OK":
        raise imaplib2.IMAP4.error(f"cannot select mailbox {mailbox!r}: {data!r}")
    typ, data = connection.response("UIDVALIDITY")
    if not data or data[0] is None:
        typ, data = connection.status(mailbox, "(UIDVALIDITY)")
        match = re.search(rb"UIDVALIDITY (\d+)", data[0] if data and isinstance(data[0], bytes) else b"")
        if not match:
            raise imaplib2.IMAP4.error("server gave no UIDVALIDITY")
        return int(match.group(1))
    value = data[0]
    return int(value.decode() if isinstance(value, bytes) else value)


def _raw_message(data: list) -> bytes | None:
    for item in data or []:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None


class Poller:
    def __init__(self, source: ImapSource, pipeline: MailPipeline, engine: Engine, mailbox: str,
                 stop: threading.Event, idle_timeout: float = 30.0, poll_interval: float = 30.0,
                 sleep: Callable[[float], bool] | None = None) -> None:
        self.source = source
        self.pipeline = pipeline
        self.engine = engine
        self.mailbox = mailbox
        self.stop = stop
        self.idle_timeout = idle_timeout
        self.poll_interval = poll_interval
        self.sleep = sleep or stop.wait

    def run_forever(self) -> None:
        backoff = 1.0
        log.info("mail poller started on mailbox %s", self.mailbox)
        while not self.stop.is_set():
            try:
                self._serve()
                backoff = 1.0
            except (imaplib2.IMAP4.abort, imaplib2.IMAP4.error, OSError) as exc:
                log.warning("IMAP connection lost or refused (%s); reconnecting in %.0f s", type(exc).__name__,
                            backoff)
            except (NluUnavailable, OperationalError) as exc:
                log.warning("cannot process mail now (%s); retrying in %.0f s", type(exc).__name__, backoff)
            if self.stop.is_set():
                break
            self.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)
        log.info("mail poller stopped")

    def _serve(self) -> None:
        connection = self.source.connect()
        try:
            idle = "IDLE" in (connection.capabilities or ())
            uidvalidity = _uidvalidity(connection, self.mailbox)
            log.info("connected to IMAP (%s)", "IDLE" if idle else f"polling every {self.poll_interval:.0f} s")
            while not self.stop.is_set():
                self.drain(connection, uidvalidity)
                if idle:
                    connection.idle(timeout=self.idle_timeout)
                else:
                    self.sleep(self.poll_interval)
                    connection.noop()
        finally:
            try:
                connection.logout()
            except Exception:
                log.debug("logout failed", exc_info=True)

    def drain(self, connection: imaplib2.IMAP4, uidvalidity: int) -> int:
        """Process every message after the last committed UID; returns how many."""
        with Session(self.engine) as session:
            state = load_position(session, self.mailbox)
            last = state.last_uid if state is not None and state.uidvalidity == uidvalidity else 0
        if state is not None and state.uidvalidity != uidvalidity:
            log.warning("UIDVALIDITY of %s changed; re-reading it (Message-IDs prevent duplicates)", self.mailbox)
        typ, data = connection.uid("SEARCH", None, f"UID {last + 1}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last) if typ == "OK" and data else []
        done = 0
        for uid in uids:
            if self.stop.is_set():
                break
            typ, data = connection.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = _raw_message(data) if typ == "OK" else None
            position = MailboxPosition(self.mailbox, uidvalidity, uid)
            if raw is None:
                log.warning("uid %s: server returned no message body; skipping it for now", uid)
                continue
            try:
                decision = self.pipeline.process(raw, position)
            except (NluUnavailable, OperationalError):
                raise  # retried as a whole after a pause: nothing of this message was committed
            except Exception as exc:  # one bad message must not stop the poller: keep it for staff
                log.exception("uid %s: processing failed; quarantined", uid)
                decision = self.pipeline.quarantine(raw, f"processing failed: {type(exc).__name__}: {exc}",
                                                    position)
            connection.uid("STORE", str(uid), "+FLAGS", f"(\\Seen {PROCESSED_FLAG})")
            log.info("uid %s: %s%s", uid, decision.action, f" {decision.ticket}" if decision.ticket else "")
            done += 1
        return done
