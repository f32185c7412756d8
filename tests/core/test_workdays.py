"""Deadlines in business days under each pack's calendar: weekends, Japan's public holidays (substitute and
citizens' holidays included) and QualitySoft's year-end closure, counted on the company's (Tokyo) date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privacy_desk import decisions
from privacy_desk.business_calendar import BusinessCalendar
from privacy_desk.policy import RequestKind, load_pack
from privacy_desk.status import TicketStatus
from privacy_desk.workdays import add_business_days, is_business_day, local_date, public_holiday

ITO, QS = load_pack("itosoft"), load_pack("qualitysoft")


def tokyo_morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo


@pytest.mark.parametrize(("pack_id", "kind", "opened", "due"), [
    # Opened Monday 28 December 2026. QualitySoft is closed 29 December - 3 January, and 11 January 2027 is
    # Coming of Age Day: ten business days end on Monday 18 January.
    ("qualitysoft", RequestKind.DELETION, date(2026, 12, 28), date(2027, 1, 18)),
    ("qualitysoft", RequestKind.MARKETING_OPTOUT, date(2026, 12, 28), date(2027, 1, 8)),
    # ITO names no closure: 29-31 December count, 1 January and 11 January do not.
    ("itosoft", RequestKind.DELETION, date(2026, 12, 28), date(2027, 1, 13)),
    # Golden Week 2026: Showa Day (Wed 29 April), Greenery Day, Children's Day and the substitute holiday for
    # Constitution Day (Wed 6 May, Constitution Day fell on a Sunday).
    ("itosoft", RequestKind.MARKETING_OPTOUT, date(2026, 4, 28), date(2026, 5, 11)),
    ("qualitysoft", RequestKind.INQUIRY, date(2026, 4, 28), date(2026, 5, 11)),
    # September 2026: Respect for the Aged Day, the citizens' holiday between it and the equinox, the equinox.
    ("itosoft", RequestKind.INQUIRY, date(2026, 9, 18), date(2026, 9, 30)),
    # An ordinary fortnight.
    ("qualitysoft", RequestKind.DISCLOSURE, date(2026, 12, 2), date(2026, 12, 16)),
])
def test_due_dates(pack_id: str, kind: RequestKind, opened: date, due: date) -> None:
    pack = load_pack(pack_id)
    assert decisions.due_date(tokyo_morning(opened), pack.rule(kind), pack.calendar) == due


def test_substitute_holiday_and_weekend_are_not_business_days() -> None:
    cal = ITO.calendar
    assert public_holiday(date(2027, 3, 22), cal) is not None  # substitute for the equinox on Sunday 21 March
    assert not is_business_day(date(2027, 3, 22), cal)
    assert add_business_days(date(2027, 3, 19), 1, cal) == date(2027, 3, 23)
    assert not is_business_day(date(2026, 12, 5), cal)  # a Saturday
    assert is_business_day(date(2026, 12, 29), cal) and not is_business_day(date(2026, 12, 29), QS.calendar)


def test_the_date_is_the_companys_not_utcs() -> None:
    # 14:00 UTC on Sunday 27 December is 23:00 Sunday in Tokyo; 16:00 UTC is already Monday 28 December.
    sunday_night, monday_night = datetime(2026, 12, 27, 14, tzinfo=UTC), datetime(2026, 12, 27, 16, tzinfo=UTC)
    assert local_date(sunday_night, QS.calendar) == date(2026, 12, 27)
    assert local_date(monday_night, QS.calendar) == date(2026, 12, 28)
    rule = QS.rule(RequestKind.DELETION)
    # From a Sunday, Monday 28 December is the first business day; then the closure.
    assert decisions.due_date(sunday_night, rule, QS.calendar) == date(2027, 1, 15)
    assert decisions.due_date(monday_night, rule, QS.calendar) == date(2027, 1, 18)
    # Naive datetimes are UTC, as the ticket store keeps them.
    assert local_date(datetime(2026, 12, 27, 16), QS.calendar) == date(2026, 12, 28)


def test_overdue_only_after_the_due_day_and_only_while_active() -> None:
    due = date(2027, 1, 18)
    assert not decisions.is_overdue(due, date(2027, 1, 18), TicketStatus.OPEN)
    assert decisions.is_overdue(due, date(2027, 1, 19), TicketStatus.IN_PROGRESS)
    assert not decisions.is_overdue(due, date(2027, 1, 19), TicketStatus.RESOLVED)


def test_closures_that_wrap_the_new_year_and_a_calendar_without_days() -> None:
    [closure] = QS.calendar.closures
    assert closure.covers(date(2026, 12, 29)) and closure.covers(date(2027, 1, 3))
    assert not closure.covers(date(2026, 12, 28)) and not closure.covers(date(2027, 1, 4))
    never = BusinessCalendar(setting=True, working_days=["mon"], closures=[
        {"first": "01-01", "last": "12-31", "name": {"en": "always closed"}}])
    with pytest.raises(ValueError, match="no business days"):
        add_business_days(date(2026, 1, 1), 1, never)
