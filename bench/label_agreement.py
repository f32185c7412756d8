"""How far two independent annotators agree with the real-text sets' labels, beside the TF-IDF baseline on the same
items: the ceiling that label ambiguity puts on any model's real-text figure (issue 19).

    .venv/bin/python bench/label_agreement.py

The annotators labelled every item of real-test and real-dev from its text and bench/data/REAL_LABELS_GUIDE.md
alone, without seeing the sets' labels, each other's, or any model's (bench/data/real_labels_annotator_{a,b}.jsonl:
id, intent, and `sure`, false where they hesitated between two intents). Prints, per language and part: macro-F1
and accuracy of each annotator against the sets' labels, of the annotators against each other (with Cohen's kappa),
and of the baseline (bench/nlu_eval.py's TF-IDF + logistic regression trained on intents/) against the sets' labels;
then the same on the items both annotators were sure of.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sklearn.metrics import accuracy_score, cohen_kappa_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from nlu_eval import baseline_input, baseline_model, load_items, macro_f1, training_examples  # noqa: E402

from desk_app.nlu_data import read_items  # noqa: E402

ANNOTATORS = {"a": ROOT / "bench" / "data" / "real_labels_annotator_a.jsonl",
              "b": ROOT / "bench" / "data" / "real_labels_annotator_b.jsonl"}


def read_labels(path: Path) -> dict[str, dict]:
    return {row["id"]: row for row in read_items(path)}


def agreement(gold: list[str], other: list[str]) -> str:
    return f"{macro_f1(gold, other):5.3f}  {accuracy_score(gold, other):5.3f}"


def main() -> int:
    labels = {name: read_labels(path) for name, path in ANNOTATORS.items()}
    baseline = baseline_model(training_examples())
    print(f"{'set':<25}{'n':>4}   {'annotator a':>12}   {'annotator b':>12}   {'a vs b':>12} kappa"
          f"   {'baseline':>12}")
    print(f"{'':<25}{'':>4}   {'F1    acc':>12}   {'F1    acc':>12}   {'F1    acc':>12}      "
          f"   {'F1    acc':>12}")
    for language in ("en", "ja"):
        for kinds, title in ((("real-dev",), "real-dev"), (("real-test",), "real-test"),
                             (("real-dev", "real-test"), "both")):
            items = [item for kind in kinds for item in load_items(kind, (language,))]
            missing = [item["id"] for item in items if any(item["id"] not in rows for rows in labels.values())]
            if missing:
                raise SystemExit(f"annotator labels missing for {', '.join(missing[:5])}")
            predicted = list(baseline.predict([baseline_input(item) for item in items]))
            for subset, name in ((list(range(len(items))), title), (None, f"{title}, both sure")):
                if subset is None:
                    subset = [n for n, item in enumerate(items)
                              if all(rows[item["id"]]["sure"] for rows in labels.values())]
                gold = [items[n]["intent"] for n in subset]
                a = [labels["a"][items[n]["id"]]["intent"] for n in subset]
                b = [labels["b"][items[n]["id"]]["intent"] for n in subset]
                base = [predicted[n] for n in subset]
                print(f"{language + ' ' + name:<25}{len(subset):>4}   {agreement(gold, a):>12}   "
                      f"{agreement(gold, b):>12}   {agreement(a, b):>12} {cohen_kappa_score(a, b):5.2f}   "
                      f"{agreement(gold, base):>12}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
