"""Concept words for the n-gram intent vote: "purge my records" should count like "delete my data".

A bag of n-grams only knows the words its training examples used. A small domain lexicon (intents/concepts/*.yml:
for each concept, the words and phrases people express it with) lets the vote see a concept whatever word
carried it: each match becomes one extra feature ("@erase"). English entries match at word boundaries, a final
`*` matching any word ending ("delet*"); Japanese entries match as substrings of the NFKC-normalised text, since
Japanese has no spaces. No rasa imports: the app's tests exercise this directly.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from privacy_desk.errors import PrivacyDeskError
from privacy_desk.languages import Language

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIRECTORY = PROJECT_ROOT / "intents" / "concepts"
MARK = "@"


class LexiconError(PrivacyDeskError):
    """A concept file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class ConceptMatch:
    concept: str
    start: int
    end: int


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """`normalise(text)` and, for each of its characters (and its end), the offset in `text` it came from.

    NFKC changes lengths ("㈱" -> "(株)", half-width "ｶﾞ" -> "ガ"), so a match in the normalised text is mapped
    back through these offsets. Each base character is normalised with the marks that follow it."""
    pieces: list[str] = []
    offsets: list[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and (unicodedata.combining(text[j]) or text[j] in "\uff9e\uff9f"):
            j += 1
        piece = normalise(text[i:j])
        pieces.append(piece)
        offsets.extend([i] * len(piece))
        i = j
    offsets.append(len(text))
    return "".join(pieces), offsets


def _entry_pattern(entry: str, language: str) -> str:
    entry = normalise(entry).strip()
    if language == "ja":
        return re.escape(entry)
    stem, open_end = (entry[:-1], True) if entry.endswith("*") else (entry, False)
    words = [re.escape(word) for word in stem.split()]
    # "third party", "third-party" and "third  party" are one phrase.
    return r"(?<!\w)" + r"[\s\-]+".join(words) + (r"\w*" if open_end else r"(?!\w)")


@dataclass(frozen=True)
class Lexicon:
    """Concept name -> compiled pattern; picklable, so a trained model carries its own lexicon."""

    patterns: dict[str, re.Pattern[str]]

    def matches(self, text: str) -> list[ConceptMatch]:
        """Every concept occurrence in `text`, with offsets into `text` itself."""
        plain, offsets = normalise_with_offsets(text)
        found = [ConceptMatch(concept, offsets[m.start()], offsets[m.end()])
                 for concept, pattern in self.patterns.items() for m in pattern.finditer(plain)]
        return sorted(found, key=lambda match: (match.start, match.concept))


def _read(path: Path) -> tuple[str, dict[str, list[str]]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"{path}: cannot read the concept file: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("concepts"), dict):
        raise LexiconError(f"{path}: expected a mapping with `language` and `concepts`")
    language = data.get("language")
    if language not in {known.value for known in Language}:
        raise LexiconError(f"{path}: `language` must be one of {', '.join(Language)}, not {language!r}")
    concepts: dict[str, list[str]] = {}
    for name, entries in data["concepts"].items():
        if not isinstance(entries, list) or not all(isinstance(e, str) and e.strip() for e in entries):
            raise LexiconError(f"{path}: concept {name!r} must be a list of non-empty strings")
        misplaced = [e for e in entries if "*" in e.rstrip("*") or (language == "ja" and "*" in e)]
        if misplaced:
            raise LexiconError(f"{path}: concept {name!r}: `*` is only allowed at the end of an English entry: "
                               f"{misplaced[:3]}")
        concepts[str(name)] = entries
    return language, concepts


def concept_files(directory: Path = DEFAULT_DIRECTORY) -> list[Path]:
    return sorted(directory.glob("*.yml"))


def load_lexicon(directory: Path = DEFAULT_DIRECTORY) -> Lexicon:
    """One pattern per concept over every file's entries; every message is matched against all of them (a
    Japanese message may name "DM" or "GPS", an English one quote Japanese)."""
    files = concept_files(directory)
    if not files:
        raise LexiconError(f"{directory}: no concept files (*.yml)")
    alternatives: dict[str, list[str]] = {}
    for path in files:
        language, concepts = _read(path)
        for name, entries in concepts.items():
            alternatives.setdefault(name, []).extend(_entry_pattern(e, language) for e in entries)
    # Longest first, so a phrase wins over its first word at the same position.
    return Lexicon({name: re.compile("|".join(sorted(set(patterns), key=len, reverse=True)))
                    for name, patterns in sorted(alternatives.items())})


def lexicon_digest(directory: Path = DEFAULT_DIRECTORY) -> str:
    """A hash of the concept files, so Rasa retrains the vote when they change."""
    digest = hashlib.sha256()
    for path in concept_files(directory):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
