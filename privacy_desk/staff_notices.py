"""What staff are told by mail, and when: the daily digest of due and overdue tickets, and a notice of each
ticket the assistant opens. Each goes once: a row per member and day (digest) or per member and ticket (notice),
committed with the queued mail, so a restart or a second housekeeper does not send it again.

The decisions (is a digest due, which tickets it lists) are pure functions; the rest reads and writes in the
caller's transaction, or, for the digest pass, in one transaction per member.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from privacy_desk import staff_labels
from privacy_desk.business_calendar import BusinessCalendar
from privacy_desk.db import transaction
from privacy_desk.messages import Channel, Clock, utcnow
from privacy_desk.models import StaffDigestSent, StaffNoticeSent, StaffUser, Ticket
from privacy_desk.policy import PolicyPack
from privacy_desk.staff_catalogue import translations
from privacy_desk.staff_mail import (
    StaffMail,
    StaffRecipient,
    format_staff_date,
    queue_staff_mail,
    recipient,
    render_staff_mail,
)
from privacy_desk.status import ACTIVE_STATUSES
from privacy_desk.workdays import add_business_days, is_business_day

log = logging.getLogger("privacy_desk.staff_notices")
DIGEST_PURPOSE = "staff_digest"
NOTICE_PURPOSE = "staff_notice"
# The channels on which the assistant opens tickets by itself (staff open theirs on the staff channel).
BOT_CHANNELS = frozenset({Channel.CHAT.value, Channel.EMAIL.value})
DEFAULT_STAFF_APP_URL = "http://127.0.0.1:8081"


@dataclass(frozen=True)
class StaffMailConfig:
    mail_from: str
    staff_app_url: str = DEFAULT_STAFF_APP_URL
    digest_days: int = 3
    digest_hour: int = 8


# -- pure decisions --------------------------------------------------------------------------------------------

def digest_day(now: datetime, calendar: BusinessCalendar, hour: int) -> date | None:
    """The company date whose digest is due at `now`: on a business day, from `hour` o'clock local time."""
    local = now.astimezone(ZoneInfo(calendar.timezone))
    if local.hour < hour or not is_business_day(local.date(), calendar):
        return None
    return local.date()


@dataclass(frozen=True)
class DigestLine:
    """What a digest says about one ticket: no customer details, only what staff need to find it."""

    reference: str
    kind: str
    status: str
    due_date: date
    assignee: str | None


def split_digest(lines: Iterable[DigestLine], today: date, horizon: date) -> tuple[list[DigestLine],
                                                                                   list[DigestLine]]:
    """(overdue, due by `horizon`), each by due date: only tickets someone still has to act on."""
    active = {s.value for s in ACTIVE_STATUSES}
    chosen = sorted((line for line in lines if line.status in active and line.due_date <= horizon),
                    key=lambda line: (line.due_date, line.reference))
    return ([line for line in chosen if line.due_date < today], [line for line in chosen if line.due_date >= today])


def _label(table: str, code: str, locale: str) -> str:
    """A stored code (kind, status, channel) in the member's words, as the staff app shows it."""
    return translations(locale).gettext(staff_labels.label(table, code))


def _line_context(line: DigestLine, locale: str) -> dict[str, object]:
    return {"reference": line.reference, "kind": _label("kind", line.kind, locale),
            "status": _label("status", line.status, locale),
            "due": format_staff_date(line.due_date, locale), "assignee": line.assignee}


# -- the new-ticket notice (in the transaction that opens the ticket) ---------------------------------------

def queue_new_ticket_notices(session: Session, ticket: Ticket, config: StaffMailConfig, now: datetime) -> list[int]:
    """Tell each member who chose it that the assistant opened this ticket; the queued mail ids."""
    if ticket.channel not in BOT_CHANNELS:
        return []
    told = set(session.scalars(select(StaffNoticeSent.staff_id).where(StaffNoticeSent.ticket_id == ticket.id)))
    members = session.scalars(select(StaffUser).where(StaffUser.wants_new_ticket_notice.is_(True))
                              .order_by(StaffUser.id))
    queued = []
    for to in filter(None, (recipient(user) for user in members)):
        if to.staff_id in told:
            continue
        mail = render_staff_mail(StaffMail.NEW_TICKET, to.locale, {
            "display_name": to.display_name, "reference": ticket.reference,
            "kind": _label("kind", ticket.kind, to.locale), "status": _label("status", ticket.status, to.locale),
            "channel": _label("channel", ticket.channel, to.locale),
            "due": format_staff_date(ticket.due_date, to.locale), "link": config.staff_app_url})
        message = queue_staff_mail(session, to, mail, NOTICE_PURPOSE, config.mail_from, now)
        session.add(StaffNoticeSent(ticket_id=ticket.id, staff_id=to.staff_id, message_id=message.id,
                                    created_at=now))
        queued.append(message.id)
    session.flush()
    return queued


# -- the daily digest (housekeeping, hourly) ------------------------------------------------------------------

@dataclass(frozen=True)
class DigestPass:
    day: date | None  # None: no digest is due at this hour
    sent: int = 0  # digests queued
    empty: int = 0  # members with nothing due (recorded, nothing sent)


def queue_due_digests(sessions: sessionmaker[Session], pack: PolicyPack, config: StaffMailConfig,
                      clock: Clock = utcnow) -> DigestPass:
    """Queue today's digest for each member who chose it and has not had it; one transaction per member."""
    now = clock()
    today = digest_day(now, pack.calendar, config.digest_hour)
    if today is None:
        return DigestPass(None)
    horizon = add_business_days(today, config.digest_days, pack.calendar)
    with sessions() as session:
        rows = session.execute(select(Ticket.reference, Ticket.kind, Ticket.status, Ticket.due_date, Ticket.assignee)
                               .where(Ticket.status.in_([s.value for s in ACTIVE_STATUSES]),
                                      Ticket.due_date <= horizon))
        overdue, due_soon = split_digest((DigestLine(*row) for row in rows), today, horizon)
        done = set(session.scalars(select(StaffDigestSent.staff_id).where(StaffDigestSent.day == today)))
        members = [to for to in map(recipient, session.scalars(
            select(StaffUser).where(StaffUser.wants_digest.is_(True)).order_by(StaffUser.id))) if to is not None]
    sent = empty = 0
    for to in members:
        if to.staff_id in done:
            continue
        try:
            with transaction(sessions) as session:
                queued = _queue_digest(session, to, overdue, due_soon, today, config, now)
        except IntegrityError:
            continue  # another housekeeper recorded this member's digest first
        sent, empty = (sent + 1, empty) if queued else (sent, empty + 1)
    return DigestPass(today, sent, empty)


def _queue_digest(session: Session, to: StaffRecipient, overdue: list[DigestLine], due_soon: list[DigestLine],
                  today: date, config: StaffMailConfig, now: datetime) -> bool:
    message_id = None
    if overdue or due_soon:
        mail = render_staff_mail(StaffMail.DIGEST, to.locale, {
            "display_name": to.display_name, "today": format_staff_date(today, to.locale),
            "overdue": [_line_context(line, to.locale) for line in overdue],
            "due_soon": [_line_context(line, to.locale) for line in due_soon],
            "days": config.digest_days, "link": config.staff_app_url})
        message_id = queue_staff_mail(session, to, mail, DIGEST_PURPOSE, config.mail_from, now).id
    # Recorded even when nothing was due: the day's digest is decided once.
    session.add(StaffDigestSent(staff_id=to.staff_id, day=today, message_id=message_id, created_at=now))
    session.flush()
    return message_id is not None
