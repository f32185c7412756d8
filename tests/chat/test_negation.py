"""Negation scope for the n-gram intent vote (bot/negation.py)."""

from __future__ import annotations

import re

from bot.negation import scoped_words


def words_of(text: str) -> list[str]:
    tokens = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"[A-Za-z0-9']+|[\u3040-\u30ff\u4e00-\u9fff]+",
                                                                     text)]
    return scoped_words(text, tokens)


def test_words_after_a_negation_are_marked_until_the_clause_ends() -> None:
    assert words_of("Don't delete anything, just fix my email") == [
        "don't", "not_delete", "not_anything", "just", "fix", "my", "email"]


def test_a_turning_word_ends_the_scope_without_punctuation() -> None:
    assert words_of("I do not want the newsletter but the seminar mail") == [
        "i", "do", "not", "not_want", "not_the", "not_newsletter", "but", "the", "seminar", "mail"]


def test_cues_written_without_apostrophes_or_with_typographic_ones() -> None:
    assert words_of("i dont want my data deleted")[1:3] == ["dont", "not_want"]
    assert scoped_words("I won\u2019t pay", [("I", 0, 1), ("won\u2019t", 2, 7), ("pay", 8, 11)]) == [
        "i", "won\u2019t", "not_pay"]


def test_a_sentence_without_negation_is_unchanged() -> None:
    assert words_of("Please delete my account. Thanks!") == ["please", "delete", "my", "account", "thanks"]


def test_japanese_is_left_to_the_character_ngrams() -> None:
    assert words_of("削除しないでください") == ["削除しないでください"]
