"""Business days under a pack's calendar: its working week, its country's public holidays and its closures.

Pure functions over dates. Public holidays come from the `holidays` library (for Japan it includes the
substitute holidays and the "citizens' holidays" between two national ones), never from a hand-kept list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from privacy_desk.business_calendar import BusinessCalendar, Weekday

_WEEKDAYS = list(Weekday)  # Monday first, as date.weekday() counts
# No calendar leaves a year without a business day; past this many days something is wrong with the pack.
_SEARCH_LIMIT = 366


@cache
def _public_holidays(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country)


def public_holiday(day: date, calendar: BusinessCalendar) -> str | None:
    """The name of the public holiday on this day, if it is one."""
    if calendar.public_holidays is None:
        return None
    return _public_holidays(calendar.public_holidays).get(day)


def is_business_day(day: date, calendar: BusinessCalendar) -> bool:
    if _WEEKDAYS[day.weekday()] not in calendar.working_days:
        return False
    if public_holiday(day, calendar) is not None:
        return False
    return not any(closure.covers(day) for closure in calendar.closures)


def add_business_days(start: date, count: int, calendar: BusinessCalendar) -> date:
    """The `count`-th business day after `start` (the day itself is not counted, whatever it is)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    day, found, scanned = start, 0, 0
    while found < count:
        day += timedelta(days=1)
        scanned += 1
        if scanned > _SEARCH_LIMIT * count:
            raise ValueError("the calendar has no business days")
        if is_business_day(day, calendar):
            found += 1
    return day


def local_date(moment: datetime, calendar: BusinessCalendar) -> date:
    """The company's calendar date at a moment (naive datetimes are UTC, as the ticket store keeps them)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(calendar.timezone)).date()
