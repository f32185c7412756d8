"""Scheduled housekeeping: the retention run (and expired staff sessions), on a fixed interval until stopped.

A failed run (the database is down) is logged and tried again after a short wait, not after a whole interval:
retention is a promise the company makes, so a missed day must not become two.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from privacy_desk.db import transaction
from privacy_desk.messages import Clock, utcnow
from privacy_desk.policy import PolicyPack
from privacy_desk.retention import RetentionReport, run_retention
from privacy_desk.staff import StaffAccounts

log = logging.getLogger("privacy_desk.housekeeping")
RETRY_AFTER = 60.0  # seconds


def run_once(sessions: sessionmaker[Session], pack: PolicyPack, *, dry_run: bool = False,
             clock: Clock = utcnow) -> tuple[RetentionReport, int]:
    """One retention run in one transaction: its report, and how many expired staff sessions were removed."""
    with transaction(sessions) as session:
        report = run_retention(session, pack, dry_run=dry_run, clock=clock)
        expired = 0 if dry_run else StaffAccounts(session, clock).purge_expired_sessions()
    return report, expired


def run_every(sessions: sessionmaker[Session], pack: PolicyPack, interval: float, stop: threading.Event,
              clock: Clock = utcnow) -> int:
    """Run now, then every `interval` seconds until `stop` is set; returns how many runs succeeded."""
    runs = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            report, sessions_removed = run_once(sessions, pack, clock=clock)
        except SQLAlchemyError as exc:
            # The error's class only: its text may quote parameters, i.e. personal data.
            log.warning("retention run failed (%s); trying again in %.0f s", type(exc).__name__,
                        min(RETRY_AFTER, interval))
            stop.wait(min(RETRY_AFTER, interval))
            continue
        runs += 1
        # Counts only: references and addresses stay out of the log.
        log.info("retention (%d days): anonymised %d tickets and %d other messages; removed %d chat conversations "
                 "and %d staff sessions", pack.retention_days, len(report.tickets), report.loose_messages,
                 report.conversations, sessions_removed)
        stop.wait(max(0.0, interval - (time.monotonic() - started)))
    return runs
