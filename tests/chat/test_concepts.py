"""The concept lexicon of the n-gram vote (bot/concepts.py): matching rules, offsets, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.concepts import LexiconError, lexicon_digest, load_lexicon, normalise_with_offsets

EN = """language: en
concepts:
  erase:
    - delet*
    - get rid of
    - wipe
  share:
    - third part*
"""
JA = """language: ja
concepts:
  erase:
    - 削除
    - 消して
  promo:
    - メルマガ
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "en.yml").write_text(EN, encoding="utf-8")
    (tmp_path / "ja.yml").write_text(JA, encoding="utf-8")
    return tmp_path


def found(folder: Path, text: str) -> list[tuple[str, str]]:
    return [(m.concept, text[m.start:m.end]) for m in load_lexicon(folder).matches(text)]


def test_english_entries_match_whole_words_and_open_endings(folder: Path) -> None:
    assert found(folder, "Please DELETION of my data, and get  rid of the rest") == [
        ("erase", "DELETION"), ("erase", "get  rid of")]
    # "wipe" has no `*`: "wiped" is not the word, "swipe" does not start with it.
    assert found(folder, "I swipe, it was wiped") == []
    assert found(folder, "shared with third-party vendors, thirdparty") == [("share", "third-party")]


def test_japanese_entries_match_inside_words_and_across_widths(folder: Path) -> None:
    assert found(folder, "個人情報を削除してください。ﾒﾙﾏｶﾞも止めて") == [("erase", "削除"), ("promo", "ﾒﾙﾏｶﾞ")]
    # One lexicon for both languages: an English request quoting Japanese mail still finds both.
    assert [c for c, _ in found(folder, "please delete it (データを消して)")] == ["erase", "erase"]


def test_offsets_survive_characters_that_nfkc_lengthens(folder: Path) -> None:
    text = "㈱イトー 担当 ｶﾞｲﾄﾞ: please delete"
    plain, offsets = normalise_with_offsets(text)
    assert plain.startswith("(株)イトー") and "ガイド" in plain
    assert len(offsets) == len(plain) + 1 and offsets[-1] == len(text)
    assert found(folder, text) == [("erase", "delete")]


def test_bad_concept_files_are_refused_with_the_file_named(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="no concept files"):
        load_lexicon(tmp_path)
    (tmp_path / "en.yml").write_text("language: en\nconcepts:\n  erase:\n    - de*lete\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"en\.yml.*only allowed at the end"):
        load_lexicon(tmp_path)
    (tmp_path / "en.yml").write_text("language: fr\nconcepts: {}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="must be one of en, ja"):
        load_lexicon(tmp_path)
    (tmp_path / "en.yml").write_text("concepts: [unclosed\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="cannot read"):
        load_lexicon(tmp_path)


def test_the_digest_changes_with_the_files(folder: Path) -> None:
    before = lexicon_digest(folder)
    (folder / "en.yml").write_text(EN + "    - purge*\n", encoding="utf-8")
    assert lexicon_digest(folder) != before


def test_the_shipped_concept_files_load() -> None:
    lexicon = load_lexicon()
    assert {"erase", "share", "promo", "see", "fix"} <= set(lexicon.patterns)
    assert [m.concept for m in lexicon.matches("登録データを抹消してください") if m.concept == "erase"] == ["erase"]
