"""The labelled NLU sets that are never trained on (tests/data/nlu_test_*, bench/data/nlu_dev_*, and the real-text
sets tests/data/real_test_*, bench/data/real_dev_*): well formed, and apart from the training data and from each
other, so the figures in docs/benchmarks.md measure generalisation rather than recall."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from desk_app.nlu_data import HELD_OUT, REAL_KINDS, held_out_files, plain_text, read_items, training_examples
from privacy_desk.classify import BUSINESS_INTENTS, ENTITY_NAMES
from privacy_desk.languages import Language, detect_language
from privacy_desk.settings import PROJECT_ROOT

LANGUAGES = ("en", "ja")
ALL_FILES = [path for kind in HELD_OUT for language in LANGUAGES for path in held_out_files(kind, language)]
REAL_FILES = [path for kind in sorted(REAL_KINDS) for language in LANGUAGES for path in held_out_files(kind, language)]
WRITTEN_KINDS = sorted(set(HELD_OUT) - REAL_KINDS)
# Issue 19 asks for at least this many real-text items per language, development and test parts together.
REAL_MINIMUM = {"en": 200, "ja": 100}


def comparable(text: str) -> str:
    return " ".join(text.lower().split())


def texts_of(kind: str) -> set[str]:
    files = [path for language in LANGUAGES for path in held_out_files(kind, language)]
    return {comparable(item["text"]) for path in files for item in read_items(path)}


def real_items(language: str) -> list[dict]:
    return [item for kind in sorted(REAL_KINDS) for path in held_out_files(kind, language) for item in read_items(path)]


def test_plain_text_drops_both_annotation_forms() -> None:
    annotated = 'I am [Ken Sato](name), [ken@example.com]{"entity": "email"}'
    assert plain_text(annotated) == "I am Ken Sato, ken@example.com"


def test_training_examples_cover_every_business_intent_in_both_languages() -> None:
    examples = training_examples()
    assert {intent for _, intent in examples} >= BUSINESS_INTENTS
    assert not any("](" in text for text, _ in examples)
    assert any("\u3040" <= ch <= "\u30ff" for text, _ in examples for ch in text)


# The written sets: each set large and covering every intent. The real-text sets have their own rule below: real
# text may lack an intent (nobody wrote it where we could take it), so they are held only to the size the issue asks
# for, across both parts.
@pytest.mark.parametrize("kind", WRITTEN_KINDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_set_has_items_in_each_language(kind: str, language: str) -> None:
    items = [item for path in held_out_files(kind, language) for item in read_items(path)]
    assert len(items) >= 140
    assert {item["intent"] for item in items} == BUSINESS_INTENTS
    assert {item["channel"] for item in items} == {"chat", "email"}


@pytest.mark.parametrize("kind", sorted(REAL_KINDS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_real_set_has_both_channels_and_several_intents(kind: str, language: str) -> None:
    items = [item for path in held_out_files(kind, language) for item in read_items(path)]
    assert items
    assert {item["channel"] for item in items} == {"chat", "email"}
    assert len({item["intent"] for item in items}) >= 5


@pytest.mark.parametrize("language", LANGUAGES)
def test_real_text_sets_reach_the_size_asked_for(language: str) -> None:
    assert len(real_items(language)) >= REAL_MINIMUM[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_real_text_development_part_is_smaller_than_the_test_part(language: str) -> None:
    dev = [item for path in held_out_files("real-dev", language) for item in read_items(path)]
    test = [item for path in held_out_files("real-test", language) for item in read_items(path)]
    assert 0 < len(dev) < len(test)
    # Every intent in the development part is also tested (stratified split; a single item goes to the test part).
    assert {item["intent"] for item in dev} <= {item["intent"] for item in test}


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_items_are_well_formed(path: Path) -> None:
    for item in read_items(path):
        where = f"{path.name} {item.get('id')}"
        assert item["intent"] in BUSINESS_INTENTS, where
        assert item["channel"] in ("chat", "email"), where
        assert item["text"].strip(), where
        assert set(item.get("entities", {})) <= ENTITY_NAMES, where
        for name, value in item.get("entities", {}).items():
            assert value in item["text"] or value in item.get("subject", ""), (where, name, value)


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_real_items_name_their_source_and_licence(path: Path) -> None:
    for item in read_items(path):
        where = f"{path.name} {item.get('id')}"
        assert item.get("source", "").strip(), where
        assert item.get("licence", "").strip(), where
        assert item["id"].startswith("real-"), where


def test_ids_are_unique_across_all_sets() -> None:
    ids = [item["id"] for path in ALL_FILES for item in read_items(path)]
    assert len(ids) == len(set(ids))


def test_no_held_out_text_is_in_the_training_data() -> None:
    trained = {comparable(text) for text, _ in training_examples()}
    leaked = [(path.name, item["id"]) for path in ALL_FILES for item in read_items(path)
              if comparable(item["text"]) in trained]
    assert leaked == []


@pytest.mark.parametrize(("first", "second"), list(combinations(sorted(HELD_OUT), 2)))
def test_sets_do_not_share_items(first: str, second: str) -> None:
    assert texts_of(first) & texts_of(second) == set()


def test_no_set_repeats_an_item() -> None:
    for kind in HELD_OUT:
        for language in LANGUAGES:
            texts = [comparable(item["text"]) for path in held_out_files(kind, language) for item in read_items(path)]
            assert len(texts) == len(set(texts)), (kind, language)


@pytest.mark.parametrize("annotator", ["a", "b"])
def test_annotator_labels_cover_every_real_item_once_with_a_business_intent(annotator: str) -> None:
    # bench/label_agreement.py compares them with the sets' labels; an item added later needs a label from each.
    path = PROJECT_ROOT / "bench" / "data" / f"real_labels_annotator_{annotator}.jsonl"
    rows = read_items(path)
    ids = [row["id"] for row in rows]
    assert sorted(ids) == sorted(item["id"] for language in LANGUAGES for item in real_items(language))
    assert {row["intent"] for row in rows} <= BUSINESS_INTENTS
    assert all(isinstance(row["sure"], bool) for row in rows)


def test_training_examples_of_one_language_are_that_folders_own() -> None:
    english, japanese = training_examples(language="en"), training_examples(language="ja")
    assert english and japanese
    assert sorted(english + japanese) == sorted(training_examples())
    assert not any(detect_language(text) == Language.JA for text, _ in english)
