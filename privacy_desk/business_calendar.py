"""A pack's business calendar: its time zone, working week, public holidays and yearly closures (data only;
the arithmetic is in privacy_desk.workdays)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import Field, StringConstraints, field_validator

from privacy_desk.basis import Grounded, NonEmpty, Strict, Text


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


MonthDay = Annotated[str, StringConstraints(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")]


class Closure(Strict):
    """A closure that recurs every year, e.g. the year-end and New Year holidays (12-29 to 01-03)."""

    first: MonthDay
    last: MonthDay
    name: Text

    def covers(self, day: date) -> bool:
        md = f"{day.month:02d}-{day.day:02d}"
        if self.first <= self.last:
            return self.first <= md <= self.last
        return md >= self.first or md <= self.last  # wraps over the new year


class BusinessCalendar(Grounded):
    """Which days count as business days for deadlines."""

    timezone: NonEmpty = "Asia/Tokyo"
    working_days: list[Weekday] = Field(min_length=1)
    # A country code of the `holidays` library (JP: Japan's national holidays, substitute holidays included).
    public_holidays: NonEmpty | None = None
    closures: list[Closure] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("public_holidays")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is not None and value not in holidays.list_supported_countries():
            raise ValueError(f"no public-holiday calendar for {value!r} (use a country code such as JP)")
        return value
