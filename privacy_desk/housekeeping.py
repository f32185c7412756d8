"""Scheduled housekeeping: the retention run (and expired staff sessions) on a fixed interval, and the staff
digests when they are due (checked hourly), until stopped.

A failed run (the database is down) is logged and tried again after a short wait, not after a whole interval:
retention is a promise the company makes, so a missed day must not become two.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from privacy_desk.db import transaction
from privacy_desk.messages import Clock, utcnow
from privacy_desk.policy import PolicyPack
from privacy_desk.retention import RetentionReport, run_retention
from privacy_desk.staff import StaffAccounts
from privacy_desk.staff_notices import DigestPass

log = logging.getLogger("privacy_desk.housekeeping")
RETRY_AFTER = 60.0  # seconds
DIGEST_CHECK_EVERY = 3600.0  # seconds: staff digests go out within the hour STAFF_DIGEST_HOUR names


def run_once(sessions: sessionmaker[Session], pack: PolicyPack, *, dry_run: bool = False,
             clock: Clock = utcnow) -> tuple[RetentionReport, int]:
    """One retention run in one transaction: its report, and how many expired staff sessions were removed."""
    with transaction(sessions) as session:
        report = run_retention(session, pack, dry_run=dry_run, clock=clock)
        expired = 0 if dry_run else StaffAccounts(session, clock).purge_expired_sessions()
    return report, expired


def run_every(sessions: sessionmaker[Session], pack: PolicyPack, interval: float, stop: threading.Event,
              clock: Clock = utcnow, digests: Callable[[], DigestPass] | None = None,
              check_every: float = DIGEST_CHECK_EVERY) -> int:
    """Run retention now, then every `interval` seconds until `stop` is set; with `digests`, also look every
    `check_every` seconds whether staff digests are due. Returns how many retention runs succeeded."""
    runs = 0
    next_retention = time.monotonic()
    while not stop.is_set():
        if digests is not None:
            _digest_pass(digests)
        if time.monotonic() >= next_retention:
            started = time.monotonic()
            if _retention_pass(sessions, pack, clock, retry_after=min(RETRY_AFTER, interval)):
                runs += 1
                next_retention = started + interval
            else:
                next_retention = time.monotonic() + min(RETRY_AFTER, interval)
        wait = next_retention - time.monotonic()
        if digests is not None:
            wait = min(wait, check_every)
        stop.wait(max(0.0, wait))
    return runs


def _retention_pass(sessions: sessionmaker[Session], pack: PolicyPack, clock: Clock, retry_after: float) -> bool:
    try:
        report, sessions_removed = run_once(sessions, pack, clock=clock)
    except SQLAlchemyError as exc:
        # The error's class only: its text may quote parameters, i.e. personal data.
        log.warning("retention run failed (%s); trying again in %.0f s", type(exc).__name__, retry_after)
        return False
    # Counts only: references and addresses stay out of the log.
    log.info("retention (%d days): anonymised %d tickets and %d other messages; removed %d chat conversations, "
             "%d unaccepted training proposals and %d staff sessions", pack.retention_days, len(report.tickets),
             report.loose_messages, report.conversations, report.unaccepted_corrections, sessions_removed)
    return True


def _digest_pass(digests: Callable[[], DigestPass]) -> None:
    try:
        done = digests()
    except SQLAlchemyError as exc:
        # Nothing was recorded for the members not reached: the next check sends theirs.
        log.warning("staff digest pass failed (%s); trying again at the next check", type(exc).__name__)
        return
    if done.day is not None and (done.sent or done.empty):
        # Counts only: who received what stays in the database, not the log.
        log.info("staff digests for %s: queued %d, %d with nothing due", done.day.isoformat(), done.sent, done.empty)
