"""The staff app's languages: which one a request is shown in (the member's choice, else the browser's). The
catalogues themselves are privacy_desk.staff_catalogue's (staff mail reads them too)."""

from __future__ import annotations

from babel import negotiate_locale

from privacy_desk.staff_catalogue import DEFAULT_LOCALE, DOMAIN, LOCALE_DIR, LOCALES, catalogue_path, translations

__all__ = [
    "DOMAIN",
    "LOCALES",
    "LOCALE_DIR",
    "LOCALE_NAMES",
    "browser_locale",
    "catalogue_path",
    "chosen_locale",
    "translations",
]

# Each language named in itself, as a language menu shows them (a reader of either finds their own).
LOCALE_NAMES = {"en": "English", "ja": "日本語"}


def preferred_languages(accept_language: str | None) -> list[str]:
    """The languages an Accept-Language header asks for, most wanted first (q=0 means "not this one")."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag.strip() and tag.strip() != "*" and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def browser_locale(accept_language: str | None) -> str:
    """ja or en, as the browser asks; English when it asks for neither."""
    return negotiate_locale(preferred_languages(accept_language), LOCALES, sep="-") or DEFAULT_LOCALE


def chosen_locale(account_locale: str | None, accept_language: str | None) -> str:
    """The member's own choice where they made one (None: follow the browser)."""
    return account_locale if account_locale in LOCALES else browser_locale(accept_language)
