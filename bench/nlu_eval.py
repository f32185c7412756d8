"""NLU quality on the held-out sets, against a TF-IDF + logistic regression baseline trained on the same intents/
data, side by side from one run.

    .venv/bin/python bench/nlu_eval.py [--items KIND ...] [--errors] [--rasa-url URL] [--markdown FILE]

KIND is a set of desk_app/nlu_data.py HELD_OUT: test (tests/data/nlu_test_*.jsonl, written), dev (its development
set), real-test (tests/data/real_test_*.jsonl, real people's text from public sources) and real-dev (its development
part). Default: test real-test. Each kind gets its own block: accuracy, macro-F1 and per-intent F1 per language with
the baseline beside it and a paired bootstrap interval of the macro-F1 gap, entity F1 per type, and the confusion
matrix. Uses the Rasa server at --rasa-url, or starts one with the current model (one server for every kind).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.pipeline import make_pipeline, make_union

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desk_app import nlu_data  # noqa: E402
from desk_app.rasa import free_port, is_up, rasa_server  # noqa: E402
from privacy_desk.classify import BUSINESS_INTENTS, Classification, NluClient, classify  # noqa: E402
from privacy_desk.mailtext import split_mail_text  # noqa: E402


def training_examples() -> list[tuple[str, str]]:
    """(text, intent) from intents/, business intents only (what the test set has)."""
    return [(text, intent) for text, intent in nlu_data.training_examples() if intent in BUSINESS_INTENTS]


def baseline_model(examples: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    features = make_union(TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
                          TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True))
    model = make_pipeline(features, LogisticRegression(max_iter=2000, C=10))
    model.fit([t for t, _ in examples], [i for _, i in examples])
    return model


def baseline_input(item: dict) -> str:
    text = item["text"]
    if item.get("channel") == "email":
        text = split_mail_text(text).new_text or text
        if item.get("subject"):
            text = f"{item['subject']}\n{text}"
    return text


def load_items(kind: str = "test", languages: tuple[str, ...] = ("en", "ja")) -> list[dict]:
    """Every file of the set, per language, each item tagged with its language and the file it came from."""
    return [{**item, "language": language, "file": path.stem}
            for language in languages for path in nlu_data.held_out_files(kind, language)
            for item in nlu_data.read_items(path)]


def entity_scores(gold: list[dict], predicted: list[dict]) -> dict[str, tuple[float, int]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for g, p in zip(gold, predicted, strict=True):
        for name in set(g) | set(p):
            if name in g and name in p and g[name].strip() == p[name].strip():
                counts[name]["tp"] += 1
            else:
                if name in p:
                    counts[name]["fp"] += 1
                if name in g:
                    counts[name]["fn"] += 1
    scores = {}
    for name, c in sorted(counts.items()):
        denominator = 2 * c["tp"] + c["fp"] + c["fn"]
        scores[name] = (2 * c["tp"] / denominator if denominator else 0.0, c["tp"] + c["fn"])
    return scores


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    """Macro-F1 over the intents the gold labels have (a predicted intent the set lacks counts only as an error)."""
    return float(f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0))


def report(title: str, gold: list[str], ours: list[str], base: list[str], out: list[str]) -> None:
    labels = sorted(set(gold))
    out.append(f"\n### {title} ({len(gold)} items)\n")
    out.append("| metric | privacy-desk (Rasa DIET) | baseline (TF-IDF + LR) |")
    out.append("|---|---|---|")
    out.append(f"| accuracy | {accuracy_score(gold, ours):.3f} | {accuracy_score(gold, base):.3f} |")
    out.append(f"| macro-F1 | {macro_f1(gold, ours):.3f} | {macro_f1(gold, base):.3f} |")
    ours_f1 = f1_score(gold, ours, labels=labels, average=None, zero_division=0)
    base_f1 = f1_score(gold, base, labels=labels, average=None, zero_division=0)
    for label, a, b in zip(labels, ours_f1, base_f1, strict=True):
        out.append(f"| F1 {label} | {a:.3f} | {b:.3f} |")


def paired_bootstrap(gold: list[str], ours: list[str], base: list[str], resamples: int = 2000,
                     seed: int = 7) -> tuple[float, float, float]:
    """Macro-F1 gap (model - baseline) over test sets resampled with replacement: the 2.5th and 97.5th
    percentiles of the gap, and the share of resamples in which the model is ahead. How much of a gap on a
    few hundred items is more than the luck of which items were written."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = sorted(set(gold))
    gold_a, ours_a, base_a = np.array(gold), np.array(ours), np.array(base)
    gaps = []
    for _ in range(resamples):
        pick = rng.integers(0, len(gold), len(gold))
        gaps.append(f1_score(gold_a[pick], ours_a[pick], labels=labels, average="macro", zero_division=0)
                    - f1_score(gold_a[pick], base_a[pick], labels=labels, average="macro", zero_division=0))
    low, high = np.percentile(gaps, [2.5, 97.5])
    return float(low), float(high), float(np.mean(np.array(gaps) > 0))


def confusion(gold: list[str], ours: list[str], out: list[str]) -> None:
    labels = sorted(set(gold) | set(ours))
    short = {label: label.replace("request_", "r_").replace("ask_", "a_")[:14] for label in labels}
    matrix = confusion_matrix(gold, ours, labels=labels)
    out.append("\nConfusion matrix (rows: true intent, columns: predicted), privacy-desk:\n")
    out.append("| true \\ predicted | " + " | ".join(short[label] for label in labels) + " |")
    out.append("|---" * (len(labels) + 1) + "|")
    for label, row in zip(labels, matrix, strict=True):
        out.append(f"| {short[label]} | " + " | ".join(str(v) if v else "." for v in row) + " |")


def kind_report(kind: str, items: list[dict[str, Any]], predictions: list[Classification], base_predictions: list[str],
                leaked: list[str], examples: int, errors: bool, out: list[str]) -> None:
    """One kind's block: the same tables for every kind, so the written and the real sets read alike."""
    out.append(f"{kind.capitalize()} items: {len(items)} (never trained on; {len(leaked)} exact overlaps with "
               f"intents/: {', '.join(leaked) or 'none'}). Training examples (business intents): {examples}.")
    for language in sorted({i["language"] for i in items}):
        index = [k for k, i in enumerate(items) if i["language"] == language]
        if not index:
            continue
        gold = [items[k]["intent"] for k in index]
        report(f"Intents, language {language}", gold, [predictions[k].intent for k in index],
               [base_predictions[k] for k in index], out)
        low, high, ahead = paired_bootstrap(gold, [predictions[k].intent for k in index],
                                            [base_predictions[k] for k in index])
        out.append(f"\nmacro-F1 gap to the baseline, paired bootstrap over the {len(index)} items (2,000 resamples): "
                   f"95% interval {low:+.3f} to {high:+.3f}; model ahead in {ahead:.1%} of resamples")
        files = sorted({items[k]["file"] for k in index})
        parts = [(f"{language} {channel}", [k for k in index if items[k].get("channel", "chat") == channel])
                 for channel in ("chat", "email")]
        if len(files) > 1:
            parts += [(name, [k for k in index if items[k]["file"] == name]) for name in files]
        for part, sub in parts:
            if sub:
                g = [items[k]["intent"] for k in sub]
                o = [predictions[k].intent for k in sub]
                b = [base_predictions[k] for k in sub]
                # Over the true intents only: a stray prediction (nlu_fallback) is an error, not a 15th class.
                labels = sorted(set(g))
                out.append(f"\n{part}: accuracy {accuracy_score(g, o):.3f} (baseline "
                           f"{accuracy_score(g, b):.3f}), macro-F1 "
                           f"{f1_score(g, o, labels=labels, average='macro', zero_division=0):.3f} (baseline "
                           f"{f1_score(g, b, labels=labels, average='macro', zero_division=0):.3f}), {len(sub)} items")
        scores = entity_scores([items[k].get("entities", {}) for k in index], [predictions[k].entities for k in index])
        out.append(f"\nEntities, language {language} (F1, exact value as written; support = gold count):\n")
        out.append("| entity | F1 | support |")
        out.append("|---|---|---|")
        for name, (f1, support) in scores.items():
            out.append(f"| {name} | {f1:.3f} | {support} |")
        confusion(gold, [predictions[k].intent for k in index], out)
        if errors:
            out.append("\nErrors:")
            for k in index:
                if predictions[k].intent != items[k]["intent"]:
                    out.append(f"- {items[k]['id']}: {items[k]['intent']} -> {predictions[k].intent} "
                               f"({predictions[k].confidence:.2f}): {items[k]['text'][:90]!r}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--markdown", type=Path, help="Also write the tables to this file.")
    parser.add_argument("--errors", action="store_true", help="List the misclassified items.")
    parser.add_argument("--items", nargs="+", choices=sorted(nlu_data.HELD_OUT), default=["test", "real-test"],
                        metavar="KIND",
                        help="held-out sets, each reported on its own: test (written, reported), dev (for "
                             "choosing), real-test (real text, reported), real-dev (real text, for choosing); "
                             "default: test real-test")
    parser.add_argument("--language", choices=["en", "ja"], help="Only this language's items.")
    args = parser.parse_args()

    kinds = list(dict.fromkeys(args.items))
    languages = (args.language,) if args.language else ("en", "ja")
    items_of = {kind: load_items(kind, languages) for kind in kinds}
    examples = training_examples()
    train_texts = {t.strip().lower() for t, _ in examples}
    baseline = baseline_model(examples)
    everything = [item for kind in kinds for item in items_of[kind]]

    with ExitStack() as stack:
        url = args.rasa_url
        if not is_up(url):
            url = stack.enter_context(rasa_server(free_port())).url
        nlu = NluClient(url)
        predictions = [classify(nlu, i["text"], i.get("subject"), i.get("channel", "chat")) for i in everything]
    base_predictions = list(baseline.predict([baseline_input(i) for i in everything])) if everything else []

    out: list[str] = []
    offset = 0
    for kind in kinds:
        items = items_of[kind]
        leaked = [i["id"] for i in items if i["text"].strip().lower() in train_texts]
        if out:
            out.append("\n")
        kind_report(kind, items, predictions[offset:offset + len(items)],
                    base_predictions[offset:offset + len(items)], leaked, len(examples), args.errors, out)
        offset += len(items)
    text = "\n".join(out)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
