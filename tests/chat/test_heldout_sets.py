"""The labelled NLU sets that are never trained on (tests/data/nlu_test_*, bench/data/nlu_dev_*): well formed, and
apart from the training data, so the figures in docs/benchmarks.md measure generalisation rather than recall."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk_app.nlu_data import HELD_OUT, held_out_files, plain_text, read_items, training_examples
from privacy_desk.classify import BUSINESS_INTENTS, ENTITY_NAMES

LANGUAGES = ("en", "ja")
ALL_FILES = [path for kind in HELD_OUT for language in LANGUAGES for path in held_out_files(kind, language)]


def comparable(text: str) -> str:
    return " ".join(text.lower().split())


def texts_of(kind: str) -> set[str]:
    files = [path for language in LANGUAGES for path in held_out_files(kind, language)]
    return {comparable(item["text"]) for path in files for item in read_items(path)}


def test_plain_text_drops_both_annotation_forms() -> None:
    annotated = 'I am [Ken Sato](name), [ken@example.com]{"entity": "email"}'
    assert plain_text(annotated) == "I am Ken Sato, ken@example.com"


def test_training_examples_cover_every_business_intent_in_both_languages() -> None:
    examples = training_examples()
    assert {intent for _, intent in examples} >= BUSINESS_INTENTS
    assert not any("](" in text for text, _ in examples)
    assert any("\u3040" <= ch <= "\u30ff" for text, _ in examples for ch in text)


@pytest.mark.parametrize("kind", sorted(HELD_OUT))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_set_has_items_in_each_language(kind: str, language: str) -> None:
    items = [item for path in held_out_files(kind, language) for item in read_items(path)]
    assert len(items) >= 140
    assert {item["intent"] for item in items} == BUSINESS_INTENTS
    assert {item["channel"] for item in items} == {"chat", "email"}


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


def test_ids_are_unique_across_all_sets() -> None:
    ids = [item["id"] for path in ALL_FILES for item in read_items(path)]
    assert len(ids) == len(set(ids))


def test_no_held_out_text_is_in_the_training_data() -> None:
    trained = {comparable(text) for text, _ in training_examples()}
    leaked = [(path.name, item["id"]) for path in ALL_FILES for item in read_items(path)
              if comparable(item["text"]) in trained]
    assert leaked == []


def test_development_and_test_sets_do_not_share_items() -> None:
    assert texts_of("test") & texts_of("dev") == set()
