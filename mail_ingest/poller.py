"""The IMAP poller: IDLE where the server offers it, polling otherwise; reconnects with backoff; never silent.

Exactly once: each message's outcome and the mailbox position (UIDVALIDITY, last UID) commit in one
transaction, and messages are flagged only after that commit. Killed at any point, a restart resumes after
the last committed UID, and a message whose outcome committed but whose flag did not is skipped by position
(and by its Message-ID). The flag is for people reading the mailbox; the position is what counts.

Throughput: messages are fetched and flagged up to FETCH_BATCH per round trip, and a reader thread parses and
classifies the next ones (`MailPipeline.read`, no database) while this thread records the current one, so the
NLU server and the database work at the same time. Recording and committing stay one message at a time, in
UID order.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import imaplib2
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mail_ingest.pipeline import MailPipeline, ReadMail
from privacy_desk.classify import NluUnavailable
from privacy_desk.mailbox_state import MailboxPosition, load_position
from privacy_desk.settings import Settings

log = logging.getLogger(__name__)
PROCESSED_FLAG = "$PrivacyDesk"
MAX_BACKOFF = 60.0
# Messages per UID FETCH and per UID STORE: fewer round trips, while a burst of large mails stays bounded in
# memory and a kill leaves at most this many committed messages unflagged.
FETCH_BATCH = 20
_UID = re.compile(rb"\bUID (\d+)")


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


def messages_by_uid(data: list[Any]) -> dict[int, bytes]:
    """UID -> raw message from a `UID FETCH ... (UID BODY.PEEK[])` response.

    Each message comes as a tuple (b'3 (UID 7 BODY[] {512}', raw); a server may also put the UID after the
    literal, in the bytes item that closes it (b' UID 7)').
    """
    found: dict[int, bytes] = {}
    waiting: bytes | None = None  # a message whose UID has not been seen yet
    for item in data or []:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            match = _UID.search(item[0] if isinstance(item[0], bytes) else b"")
            if match:
                found[int(match.group(1))] = item[1]
            waiting = None if match else item[1]
        elif isinstance(item, bytes) and waiting is not None:
            match = _UID.search(item)
            if match:
                found[int(match.group(1))] = waiting
            waiting = None
    return found


def batches(uids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(uids), size):
        yield uids[start:start + size]


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
        reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-read")
        try:
            for batch in batches(uids, FETCH_BATCH):
                if self.stop.is_set():
                    break
                done += self._drain_batch(connection, uidvalidity, batch, reader)
        finally:
            # Reads not yet started are dropped; after an error or a stop they are simply read again next time.
            reader.shutdown(wait=True, cancel_futures=True)
        return done

    def _drain_batch(self, connection: imaplib2.IMAP4, uidvalidity: int, batch: list[int],
                     reader: ThreadPoolExecutor) -> int:
        """Fetch a batch in one round trip, read it ahead, record it in UID order, then flag what committed."""
        typ, data = connection.uid("FETCH", ",".join(map(str, batch)), "(UID BODY.PEEK[])")
        bodies = messages_by_uid(data) if typ == "OK" else {}
        reads = {uid: reader.submit(self.pipeline.read, raw) for uid, raw in bodies.items()}
        committed: list[int] = []
        try:
            for uid in batch:
                if self.stop.is_set():
                    break
                if uid not in bodies:
                    log.warning("uid %s: server returned no message body; skipping it for now", uid)
                    continue
                self._record(MailboxPosition(self.mailbox, uidvalidity, uid), bodies[uid], reads[uid])
                committed.append(uid)
        finally:
            self._flag(connection, committed)
        return len(committed)

    def _record(self, position: MailboxPosition, raw: bytes, read: Future[ReadMail]) -> None:
        """Commit one message's outcome with its position."""
        try:
            decision = self.pipeline.record(read.result(), position)
        except (NluUnavailable, OperationalError):
            raise  # retried as a whole after a pause: nothing of this message was committed
        except Exception as exc:  # one bad message must not stop the poller: keep it for staff
            log.exception("uid %s: processing failed; quarantined", position.uid)
            decision = self.pipeline.quarantine(raw, f"processing failed: {type(exc).__name__}: {exc}", position)
        log.info("uid %s: %s%s", position.uid, decision.action, f" {decision.ticket}" if decision.ticket else "")

    @staticmethod
    def _flag(connection: imaplib2.IMAP4, uids: list[int]) -> None:
        """Mark committed messages as processed, in one round trip."""
        if uids:
            connection.uid("STORE", ",".join(map(str, uids)), "+FLAGS.SILENT", f"(\\Seen {PROCESSED_FLAG})")
