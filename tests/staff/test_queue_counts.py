"""The counts at the top of the queue: by status, and overdue, from one query and a pure function."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from privacy_desk.db import transaction
from privacy_desk.models import Ticket
from privacy_desk.policy import RequestKind
from privacy_desk.status import TicketStatus
from staff_web.queue import queue_counts
from tests.staff.conftest import open_request


def test_counts_list_every_status_in_order_and_add_up_the_overdue() -> None:
    counts = queue_counts([("open", 3, 1), ("closed", 2, 0), ("awaiting_details", 1, 1)])
    assert [s for s, _ in counts.by_status] == list(TicketStatus)
    assert dict(counts.by_status)[TicketStatus.OPEN] == 3 and dict(counts.by_status)[TicketStatus.RESOLVED] == 0
    assert counts.overdue == 2 and counts.active == 4
    assert queue_counts([]).overdue == 0


def shown(html: str, name: str) -> int:
    match = re.search(rf'id="count-{name}">(\d+)<', html)
    assert match, f"no count {name}"
    return int(match.group(1))


def test_the_queue_shows_counts_by_status_and_overdue(signed_in: Callable[..., TestClient],
                                                      sessions: sessionmaker[Session]) -> None:
    late = open_request(sessions, RequestKind.MARKETING_OPTOUT)
    open_request(sessions, RequestKind.MARKETING_OPTOUT)
    finished_late = open_request(sessions, RequestKind.MARKETING_OPTOUT)
    awaiting = open_request(sessions, RequestKind.DELETION)
    long_ago = date.today() - timedelta(days=60)
    with transaction(sessions) as session:
        session.execute(update(Ticket).where(Ticket.reference.in_([late, finished_late, awaiting]))
                        .values(due_date=long_ago))
        session.execute(update(Ticket).where(Ticket.reference == finished_late).values(status="closed"))
    html = signed_in("bob").get("/tickets").text
    assert shown(html, "overdue") == 2  # a closed ticket is never overdue
    assert shown(html, "closed") == 1 and shown(html, "rejected") == 0
    assert sum(shown(html, s) for s in ("awaiting_details", "awaiting_verification", "open", "in_progress")) == 3
    assert shown(html, "awaiting_verification") >= 1  # the deletion waits for its code
