"""What every staff page shares: the services, the templates in each language, the company's today, and how a
page is rendered in the language of the member reading it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from privacy_desk import staff_labels as labels
from privacy_desk.basis import Worded
from privacy_desk.errors import PrivacyDeskError
from privacy_desk.languages import Language
from privacy_desk.messages import Clock
from privacy_desk.policy import PolicyPack, RequestKind
from privacy_desk.replies import Purpose
from privacy_desk.review import Review
from privacy_desk.status import TicketStatus
from privacy_desk.workdays import local_date
from staff_web.i18n import LOCALE_NAMES, LOCALES, chosen_locale, translations

HERE = Path(__file__).resolve().parent

# Dates in each locale's own long form ("2 December 2026", "2026年12月2日"); moments with the time and the zone
# ("2 December 2026, 10:05 Japan Standard Time", "2026年12月2日 10:05 JST"). CLDR's English long date is
# American ("December 2, 2026"), hence the explicit pattern.
DATE_FORMATS = {"en": "d MMMM y", "ja": "long"}
DATETIME_FORMATS = {"en": "d MMMM y, HH:mm zzzz", "ja": "y年M月d日 H:mm z"}


def when(value: datetime | date | None, locale: str, zone: ZoneInfo) -> str:
    """A date or a moment as staff read it: in their locale, moments in the company's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value.astimezone(zone), DATETIME_FORMATS[locale], tzinfo=zone, locale=locale)
    return format_date(value, DATE_FORMATS[locale], locale=locale)


def pack_text(value: Worded, locale: str) -> str:
    """A pack's label in the reader's language where the pack has one, else its English."""
    return value.get(Language(locale)) if getattr(value, locale, None) else value.en


def translate_error(exc: PrivacyDeskError, gettext: Callable[[str], str]) -> str:
    """A refusal from the core in the reader's language, its statuses and kinds worded as on the page."""
    if not exc.message:
        return str(exc)
    params = {name: _translated_value(value, gettext) for name, value in exc.params.items()}
    return gettext(exc.message).format(**params) if params else gettext(exc.message)


# The codes a refusal may name, and the table of labels each one is worded from.
_CODE_TABLES = ((TicketStatus, "status"), (RequestKind, "kind"), (Purpose, "purpose"))


def _translated_value(value: object, gettext: Callable[[str], str]) -> object:
    if isinstance(value, list):
        return ", ".join(str(_translated_value(item, gettext)) for item in value)
    for code, table in _CODE_TABLES:
        if isinstance(value, code):
            return gettext(labels.label(table, value))
    return value


def templates_for(locale: str, zone: ZoneInfo) -> Jinja2Templates:
    """One environment per locale, with that locale's catalogue installed: the environment is shared by every
    request, so a request never changes another's language."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                      extensions=["jinja2.ext.i18n"])
    catalogue = translations(locale)
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = lambda value: when(value, locale, zone)
    env.filters["local"] = lambda value: pack_text(value, locale)
    # A stored message that is a msgid (a kept mail's reason); anything else is shown as it is.
    env.filters["translated"] = catalogue.gettext
    for table in labels.TABLES:
        env.filters[table] = lambda code, table=table: catalogue.gettext(labels.label(table, code))
    env.globals.update(locale=locale, locale_names=LOCALE_NAMES)
    list_separator = "、" if locale == "ja" else ", "
    env.filters["event_value"] = lambda value, name: list_separator.join(
        catalogue.gettext(item) for item in labels.event_value(name, value))
    return Jinja2Templates(env=env)


@dataclass(frozen=True)
class Web:
    sessions: sessionmaker[Session]
    pack: PolicyPack
    review: Review
    clock: Clock
    templates: Mapping[str, Jinja2Templates]

    @classmethod
    def build(cls, sessions: sessionmaker[Session], pack: PolicyPack, review: Review, clock: Clock) -> Web:
        zone = ZoneInfo(pack.calendar.timezone)
        return cls(sessions, pack, review, clock, {locale: templates_for(locale, zone) for locale in LOCALES})

    def today(self) -> date:
        # Deadlines are business days of the company's calendar, so "today" is the company's date.
        return local_date(self.clock(), self.pack.calendar)

    def locale(self, request: Request, account_locale: str | None) -> str:
        return chosen_locale(account_locale, request.headers.get("accept-language"))

    def gettext(self, locale: str) -> Callable[[str], str]:
        return translations(locale).gettext

    def page(self, request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
        staff = context.get("staff")
        locale = self.locale(request, getattr(staff, "locale", None))
        return self.templates[locale].TemplateResponse(request, name, {"pack": self.pack, **context},
                                                       status_code=status_code)
