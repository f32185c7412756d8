"""Contact details as customers type them: find, check and tidy. Pure functions, no I/O."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_NAME_PREFIX = re.compile(
    r"^\s*(?:(?:hi|hello)[,!.\s]+)?(?:my (?:full )?name is|my name's|name is|name:|i am|i'm|this is|it's|it is|"
    r"(?:私の)?(?:名前|氏名)(?:は|:|：))\s*", re.I)
_NAME_SUFFIX = re.compile(r"\s*(?:です|と申します|といいます)[。.!]?\s*$|[.!]+\s*$")


def find_email(text: str) -> str | None:
    """The first syntactically valid email address in the text, as written."""
    for candidate in _EMAIL.findall(unicodedata.normalize("NFKC", text)):
        try:
            validate_email(candidate, check_deliverability=False)
        except EmailNotValidError:
            continue
        return str(candidate)
    return None


def find_phone(text: str, region: str = "JP") -> str | None:
    """The first plausible phone number in the text, as written (Japanese numbers need no +81)."""
    normal = unicodedata.normalize("NFKC", text)
    for match in phonenumbers.PhoneNumberMatcher(normal, region, leniency=phonenumbers.Leniency.POSSIBLE):
        return match.raw_string.strip()
    return None


def clean_name(text: str) -> str | None:
    """A person's name from a short answer ('my name is Taro Yamada' -> 'Taro Yamada'); None if not a name."""
    name = _NAME_SUFFIX.sub("", _NAME_PREFIX.sub("", text.strip())).strip(" ,、。")
    if not name or len(name) > 80 or any(ch.isdigit() for ch in name) or "@" in name:
        return None
    if len(name.split()) > 5:
        return None
    return name


def name_from_answer(found: str | None, typed: str) -> str | None:
    """The name a customer typed when asked for it. The model may find only part of it ('Hanako' in
    'Hanako Staffview'); the whole answer wins when it is a name that contains what was found."""
    whole = clean_name(typed)
    if whole and (not found or found in whole):
        return whole
    return clean_name(found) if found else None


def clean_text_detail(text: str, max_length: int = 200) -> str | None:
    """Company, division, member number or address typed as an answer: tidy, or None if empty/too long."""
    value = " ".join(text.split()).strip(" .。")
    return value if value and len(value) <= max_length else None
