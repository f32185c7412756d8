"""The staff app's message catalogues: extract every message from the sources babel.cfg names (Babel's extract
API), and bring the .pot and each locale's .po up to date with them.

    .venv/bin/python -m staff_web.catalogue update   # after changing a message: then translate the new entries
    .venv/bin/python -m staff_web.catalogue check    # what is missing or fuzzy in each locale (exit 1 if any)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from staff_web.i18n import DOMAIN, LOCALE_DIR, LOCALES, catalogue_path

ROOT = LOCALE_DIR.parents[1]
MAPPING = ROOT / "babel.cfg"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"


def extracted() -> Catalog:
    """Every message the sources mark, as a catalogue template."""
    with MAPPING.open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, filename=str(MAPPING))  # type: ignore[no-untyped-call]
    catalog = Catalog(project="privacy-desk", domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=DEFAULT_KEYWORDS, strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalogue(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale, domain=DOMAIN)


def problems(template: Catalog, catalog: Catalog) -> Iterator[str]:
    """What stops a locale's catalogue from covering the template: missing, empty or fuzzy entries."""
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, message.context)
        if entry is None:
            yield f"missing: {message.id!r}"
        elif entry.fuzzy:
            yield f"fuzzy: {message.id!r}"
        elif not (all(entry.string) if isinstance(entry.string, tuple) else entry.string):
            yield f"untranslated: {message.id!r}"


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalog, width=120, sort_output=True, omit_header=False)


def update() -> None:
    """Write the template and merge it into each locale (new entries empty, vanished ones dropped)."""
    template = extracted()
    _write(template, TEMPLATE)
    for locale in LOCALES:
        path = catalogue_path(locale)
        catalog = read_catalogue(path, locale) if path.exists() else Catalog(
            locale=locale, domain=DOMAIN, project="privacy-desk", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write(catalog, path)


def main(argv: list[str]) -> int:
    if argv[1:] == ["update"]:
        update()
        return 0
    if argv[1:] == ["check"]:
        template = extracted()
        found = {locale: list(problems(template, read_catalogue(catalogue_path(locale), locale)))
                 for locale in LOCALES}
        for locale, listed in found.items():
            for problem in listed:
                print(f"{locale}: {problem}")
        return 1 if any(found.values()) else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
