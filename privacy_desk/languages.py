"""Languages privacy-desk speaks, and which one a customer wrote in.

Language is data on every ticket, message, template and pack text. Detection is by script: Japanese is the
only non-Latin language we serve, and kana never appear in English prose.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Language(StrEnum):
    EN = "en"
    JA = "ja"


DEFAULT_LANGUAGE = Language.EN

_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")  # hiragana, katakana, half-width katakana
_KANJI = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# Addresses and links are Latin whatever language the sentence around them is in.
_NOT_PROSE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|(?:https?://|www\.)[!-~]+")


def detect_language(text: str) -> Language:
    """Japanese when the prose is Japanese, even with English words or a Latin signature mixed in."""
    prose = _NOT_PROSE.sub(" ", text)
    kana = len(_KANA.findall(prose))
    kanji = len(_KANJI.findall(prose))
    latin = len(_LATIN.findall(prose))
    # A Japanese name alone ("My name is 山田太郎") is kanji without kana: still English prose.
    if kana >= 2 and (kana + kanji) * 2 >= latin:
        return Language.JA
    if kanji >= 6 and kanji * 3 >= latin:
        return Language.JA
    return Language.EN
