"""Mail to staff (the daily digest, the notice of a new ticket): rendered from Jinja2 templates whose English
source strings go through gettext (`jinja2.ext.i18n`), queued through the same outbox as every reply.

The language comes in as a locale parameter everywhere; `staff_mail_translations` is the one place that turns it
into a catalogue (the staff app's, privacy_desk.staff_catalogue), and `format_staff_date` the one place dates
are written for staff.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from privacy_desk.mail_out import new_message_id
from privacy_desk.messages import Channel, Delivery
from privacy_desk.models import Message, StaffUser
from privacy_desk.replies import RESPONSES_DIR, RenderedReply
from privacy_desk.staff_catalogue import translations

STAFF_TEMPLATES = RESPONSES_DIR / "staff"
DEFAULT_LOCALE = "en"
_WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), "ja": ("月", "火", "水", "木", "金", "土", "日")}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class StaffMail:
    """The names of the staff mail templates (one registry: an unknown name is a KeyError, not a blank mail)."""

    DIGEST = "digest"
    NEW_TICKET = "new_ticket"


def staff_mail_translations(locale: str) -> gettext.NullTranslations:
    """The catalogue for a member's locale: the staff app's (English for a locale it does not have)."""
    return translations(locale)


def staff_locale(user: StaffUser) -> str:
    """The member's language for staff mail (their own setting where the store has one; English until then)."""
    chosen = getattr(user, "locale", None)
    return chosen if isinstance(chosen, str) and chosen else DEFAULT_LOCALE


def format_staff_date(day: date, locale: str) -> str:
    """A date as staff read it: "Mon 30 Nov 2026", 「2026年11月30日（月）」."""
    if locale.startswith("ja"):
        return f"{day.year}年{day.month}月{day.day}日（{_WEEKDAYS['ja'][day.weekday()]}）"
    return f"{_WEEKDAYS['en'][day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


@cache
def _environment(locale: str) -> Environment:
    """One environment per locale (templates compile once each): plain-text mail, so no HTML escaping; a
    missing value is an error, not a blank."""
    env = Environment(loader=FileSystemLoader(STAFF_TEMPLATES), extensions=["jinja2.ext.i18n"],
                      undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.install_gettext_translations(staff_mail_translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env


def render_staff_mail(name: str, locale: str, context: dict[str, Any]) -> RenderedReply:
    """One staff mail in the member's locale: its subject and body."""
    if name not in {StaffMail.DIGEST, StaffMail.NEW_TICKET}:
        raise KeyError(f"no staff mail template {name!r}")
    template = _environment(locale).get_template(f"{name}.txt.j2")
    ctx = template.new_context(context)
    subject = "".join(template.blocks["subject"](ctx)).strip()
    body = "".join(template.blocks["body"](ctx)).strip() + "\n"
    return RenderedReply(" ".join(subject.split()), body)


@dataclass(frozen=True)
class StaffRecipient:
    staff_id: int
    email: str
    display_name: str
    locale: str


def recipient(user: StaffUser) -> StaffRecipient | None:
    """Whom a member's mail goes to; None without an address or an active account."""
    if not user.active or not user.email:
        return None
    return StaffRecipient(user.id, user.email, user.display_name, staff_locale(user))


def queue_staff_mail(session: Session, to: StaffRecipient, mail: RenderedReply, purpose: str, mail_from: str,
                     now: datetime) -> Message:
    """Queue one staff mail for the outbox. It belongs to no ticket: it is not part of a customer's thread."""
    message = Message(ticket=None, direction="out", channel=Channel.EMAIL, language=to.locale,
                      message_id=new_message_id(mail_from), recipient=to.email, subject=mail.subject,
                      body=mail.body, purpose=purpose, delivery_state=Delivery.QUEUED, attempts=0,
                      next_attempt_at=now, created_at=now, meta={"staff": to.staff_id})
    session.add(message)
    session.flush()
    return message
