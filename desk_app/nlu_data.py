"""The NLU examples of intents/ and the labelled sets that are never trained on, read without Rasa (the app never
imports it): the baseline in bench/ trains on the first, and tests check that the second stay apart from it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from privacy_desk.settings import PROJECT_ROOT

INTENTS = PROJECT_ROOT / "intents"
# The held-out sets, per kind; each language may have several files (nlu_test_en.jsonl, nlu_test_en_wild.jsonl).
HELD_OUT = {
    # The test set: the figures reported; never used to choose anything.
    "test": (PROJECT_ROOT / "tests" / "data", "nlu_test_{language}*.jsonl"),
    # The development set: written apart from intents/ and the test set, to choose settings on.
    "dev": (PROJECT_ROOT / "bench" / "data", "nlu_dev_{language}*.jsonl"),
    # Real text: people's own writing about privacy from public sources (GitHub issues, request-letter templates,
    # public Q&A), copied verbatim or lightly trimmed, each with its source and licence
    # (bench/data/REAL_TEXT_SOURCES.md). Split by intent into a test part (reported) and a development part (for
    # choosing). The "real_" prefix keeps these files out of the nlu_ globs above.
    "real-test": (PROJECT_ROOT / "tests" / "data", "real_test_{language}*.jsonl"),
    "real-dev": (PROJECT_ROOT / "bench" / "data", "real_dev_{language}*.jsonl"),
}
# The kinds written from real text; they need not cover every intent (real text may lack one) nor reach the
# written sets' per-set size.
REAL_KINDS = frozenset({"real-test", "real-dev"})
# Rasa's inline annotations: [value](entity) and [value]{"entity": ...}.
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([a-z_]+\)|\[([^\]]+)\]\{[^}]*\}")


def plain_text(annotated: str) -> str:
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), annotated)


def training_examples(folder: Path = INTENTS, skip: str | None = None,
                      language: str | None = None) -> list[tuple[str, str]]:
    """(text, intent) for every example under `folder` (but files named `skip`; only `language`'s folder if given),
    annotations removed. Concept files have no `nlu` key."""
    examples = []
    for path in sorted(folder.glob("*/*.yml")):
        if path.name == skip or (language and path.parent.name != language):
            continue
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            intent = block.get("intent")
            if not intent:  # synonym, regex and lookup blocks
                continue
            for line in (block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    examples.append((plain_text(line.strip()[2:]), intent))
    return examples


def held_out_files(kind: str, language: str) -> list[Path]:
    folder, pattern = HELD_OUT[kind]
    return sorted(folder.glob(pattern.format(language=language)))


def read_items(path: Path) -> list[dict[str, Any]]:
    """One labelled item per JSON line: id, channel, text, subject (emails), intent, entities."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
