"""The gettext catalogues of everything staff read (the staff app's pages and the mail sent to staff), in
English and Japanese: the .po files in staff_web/locale, read with Babel when first needed, so a fresh clone
needs no compile step and an edited catalogue takes effect on restart. Fuzzy entries are left out (they fall back
to the English msgid), so a guess never reaches a reader as if it were checked.

They live beside the staff app, which owns most of their messages; staff mail (privacy_desk.staff_mail) reads
them too, which is why the loader is here and not in staff_web (the core imports no channel).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parents[1] / "staff_web" / "locale"
LOCALES = ("en", "ja")
DEFAULT_LOCALE = "en"
DOMAIN = "messages"


def catalogue_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> Translations:
    """The catalogue of one locale (English for one we do not have), compiled in memory from its .po file."""
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    with catalogue_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
