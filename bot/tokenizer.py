"""A Rasa tokenizer for English and Japanese in one model (runs inside .venv-rasa, loaded by config.yml).

Rasa's WhitespaceTokenizer sees a Japanese sentence as one token, so an email or phone number glued to
Japanese text (`メールはa@example.jpです`) cannot be found as an entity. This tokenizer keeps emails, URLs,
phone numbers and Latin words whole, and splits Japanese runs into words with MeCab (fugashi + unidic-lite).
Token texts are NFKC-normalised (ＴＥＬ -> TEL, ﾒﾙﾏｶﾞ -> メルマガ) while offsets still point into the original
text, so entity values come back exactly as the customer wrote them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from itertools import islice
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

_DIGIT = "0-9\uff10-\uff19"
_JAPANESE = "\u3012\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\u3005\u3006"
_PIECES = re.compile(
    rf"(?P<email>[A-Za-z0-9._%+\-\uff21-\uff3a\uff41-\uff5a\uff10-\uff19]+[@\uff20][A-Za-z0-9.\-]+\.[A-Za-z]{{2,}})"
    rf"|(?P<url>(?:https?://|www\.)[!-~]+)"
    rf"|(?P<phone>(?:[+\uff0b][{_DIGIT}]{{1,3}}[\s\-\uff0d‐]?)?[(（]?[{_DIGIT}]{{1,5}}[)）]?"
    rf"(?:[\-\uff0d‐−ー.\s][{_DIGIT}]{{2,5}}){{1,3}}(?![{_DIGIT}]))"
    # "Ltd." "Inc." "K.K." keep their full stop, so a company annotated as written lines up with the tokens.
    rf"|(?P<abbr>(?<![A-Za-z0-9.])(?:(?:[A-Za-z]\.){{2,}}|(?i:co|ltd|inc|corp|dept|mr|mrs|ms|dr|jr)\.)"
    rf"(?![A-Za-z0-9]))"
    rf"|(?P<word>[A-Za-z0-9\uff21-\uff3a\uff41-\uff5a\uff10-\uff19]"
    rf"(?:[A-Za-z0-9_'\-\uff21-\uff3a\uff41-\uff5a\uff10-\uff19]|\.(?=[A-Za-z0-9]))*)"
    rf"|(?P<corp>[(\uff08][株有][)\uff09]|[\u3231\u3232])"  # (株) (有) ㈱ ㈲: part of a company name
    rf"|(?P<japanese>[{_JAPANESE}]+)"
)
# A half-width katakana and its following voiced mark normalise to one character together.
_CLUSTER = re.compile(r".[\uff9e\uff9f]?", re.S)


def _normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """NFKC text plus, for each of its characters, the index in `text` it came from."""
    out: list[str] = []
    origin: list[int] = []
    for match in _CLUSTER.finditer(text):
        piece = unicodedata.normalize("NFKC", match.group(0))
        out.append(piece)
        origin.extend([match.start()] * len(piece))
    return "".join(out), origin


class _MeCab:
    """fugashi's Tagger, created on first use (loading the dictionary takes a moment)."""

    _tagger: Any = None

    @classmethod
    def words(cls, text: str) -> list[str]:
        if cls._tagger is None:
            import fugashi

            cls._tagger = fugashi.Tagger()
        return [word.surface for word in cls._tagger(text)]


# Tokens per message. DIET's memory grows with the square of the sequence: 20,000 one-letter words made the
# server use 24 GB and be killed, 2,500 took 0.75 s and 1.9 GB. Messages from any channel (socket.io has no
# length limit of its own) are read up to here; the longest training example is far shorter.
MAX_TOKENS = 2500


def split_words(text: str, limit: int | None = None) -> list[tuple[str, int, int]]:
    """(normalised token text, start, end) for the first `limit` tokens of `text` (all when None), offsets into
    `text`."""
    return list(islice(_words(text), limit))


def _words(text: str) -> Iterator[tuple[str, int, int]]:
    for match in _PIECES.finditer(text):
        start, end = match.span()
        if match.lastgroup != "japanese":
            yield unicodedata.normalize("NFKC", match.group(0)), start, end
            continue
        normal, origin = _normalise_with_offsets(match.group(0))
        position = 0
        for surface in _MeCab.words(normal):
            found = normal.find(surface, position)
            if found < 0:
                continue
            stop = found + len(surface)
            first = origin[found]
            last = origin[stop] if stop < len(origin) else len(match.group(0))
            yield surface, start + first, start + last
            position = stop


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MixedScriptTokenizer(Tokenizer):
    """English and Japanese tokens; emails, URLs and phone numbers kept whole."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_", "token_pattern": None,
                "prefix_separator_symbol": None}

    @staticmethod
    def required_packages() -> list[str]:
        return ["fugashi"]

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MixedScriptTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        tokens = [Token(word, start, end) for word, start, end in split_words(text, MAX_TOKENS)]
        if not tokens:
            tokens = [Token(text[:MAX_TOKENS], 0, min(len(text), MAX_TOKENS))]
        return self._apply_token_pattern(tokens)
