"""How the n-gram vote's settings were chosen: on held-out folds of intents/, never on the test set.

    .venv-rasa/bin/python bench/vote_weights.py [--folds 0 1] [--work /tmp/vote-weights] [--vote-only]

Runs in Rasa's virtualenv (it uses the model's own tokenizer and vote). intents/ is split into 5 stratified
folds (seed 0). For each fold asked for, the Rasa model of config.yml is trained on the other four folds
(`rasa train nlu`, about 11 minutes on 2 cores; the model and DIET's rankings are kept in --work, so a rerun
only redoes the cheap part) and DIET's ranking of every held-out example is read from `/model/parse`. The
n-gram vote is then trained on the same four folds three times: as before (C=10, plain words, no concepts),
as config.yml sets it without the concept features, and as config.yml sets it. With --vote-only all five folds
are scored with the vote alone (no Rasa training). The concept files were written knowing intents/, so on these
folds they can look better than they are: the development set (bench/nlu_eval.py --items dev) checks them.
For each DIET share of the vote the script prints macro-F1 over the business intents per language
and the share of messages the FallbackClassifier (threshold 0.35, ambiguity 0.05) would catch.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import requests
import yaml
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader, RasaYAMLWriter
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.lexical_classifier import LexicalIntentClassifier  # noqa: E402
from bot.tokenizer import MixedScriptTokenizer  # noqa: E402

LANGUAGES = ("en", "ja")
SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.0)
FALLBACK_THRESHOLD, AMBIGUITY = 0.35, 0.05
PORT = 5099


def chat_mechanics() -> set[str]:
    """Intents of intents/*/chat.yml: not scored (the test set and the baseline have business intents only)."""
    names = set()
    for path in ROOT.glob("intents/*/chat.yml"):
        names |= {block["intent"] for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
                  if "intent" in block}
    return names


def vote_config() -> dict:
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    entry = next(c for c in pipeline if c["name"].endswith("LexicalIntentClassifier"))
    return {k: v for k, v in entry.items() if k != "name"}


def nlu_data() -> TrainingData:
    """All of intents/ that is NLU data (Rasa's loader refuses the concept files, which are not)."""
    files = [p for p in sorted((ROOT / "intents").rglob("*.yml")) if RasaYAMLReader.is_yaml_nlu_file(p)]
    return TrainingData().merge(*(load_data(str(p)) for p in files))


def train_fold(examples: list[Message], train: np.ndarray, fold: int, work: Path) -> Path:
    model = work / f"fold{fold}.tar.gz"
    if model.exists():
        return model
    full = nlu_data()
    data = work / f"fold{fold}-train.yml"
    RasaYAMLWriter().dump(data, TrainingData([examples[i] for i in train], entity_synonyms=full.entity_synonyms,
                                             regex_features=full.regex_features, lookup_tables=full.lookup_tables))
    subprocess.run([str(Path(sys.executable).parent / "rasa"), "train", "nlu", "-c", str(ROOT / "config.yml"),
                    "--nlu", str(data), "--out", str(work), "--fixed-model-name", f"fold{fold}"],
                   check=True, env=rasa_env(work), stdout=subprocess.DEVNULL)
    return model


def rasa_env(work: Path) -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_CACHE_DIRECTORY": str(work / "rasa-cache")}


def diet_rankings(model: Path, texts: list[str], cache: Path) -> list[dict[str, float]]:
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    with open(cache.with_suffix(".log"), "wb") as log:
        server = subprocess.Popen([str(Path(sys.executable).parent / "rasa"), "run", "--enable-api", "-m",
                                   str(model), "--port", str(PORT)], env=rasa_env(cache.parent), stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{PORT}/status", timeout=1).ok:
                    break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
            time.sleep(1)
        rankings = [requests.post(f"http://127.0.0.1:{PORT}/model/parse", json={"text": text}, timeout=60)
                    .json()["intent_votes"]["diet"] for text in texts]
    finally:
        server.terminate()
        server.wait(timeout=30)
    cache.write_text(json.dumps(rankings), encoding="utf-8")
    return rankings


def score(gold: list[str], vote: list[dict[str, float]], diet: list[dict[str, float]], share: float
          ) -> tuple[float, float]:
    predicted, fallbacks = [], 0
    for lexical, deep in zip(vote, diet, strict=True):
        mixed = {name: (1 - share) * p for name, p in lexical.items()}
        for name, p in deep.items():
            mixed[name] = mixed.get(name, 0.0) + share * p
        second, first = sorted(mixed.values())[-2:]
        fallbacks += first < FALLBACK_THRESHOLD or first - second < AMBIGUITY
        predicted.append(max(mixed, key=mixed.get))
    return f1_score(gold, predicted, labels=sorted(set(gold)), average="macro"), fallbacks / len(gold)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--work", type=Path, default=Path("/tmp/vote-weights"))
    parser.add_argument("--vote-only", action="store_true",
                        help="all 5 folds, the n-gram vote alone (no Rasa training): seconds, not minutes")
    args = parser.parse_args()
    if args.vote_only:
        args.folds = [0, 1, 2, 3, 4]
    args.work.mkdir(parents=True, exist_ok=True)

    tokenizer = MixedScriptTokenizer(MixedScriptTokenizer.get_default_config())
    examples, languages = [], []
    for language in LANGUAGES:
        for example in load_data(str(ROOT / "intents" / language)).intent_examples:
            examples.append(example)
            languages.append(language)
    tokenizer.process(examples)
    intents = [e.get(INTENT) for e in examples]
    mechanics = chat_mechanics()
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(np.zeros(len(intents)), intents))
    settings = {"before (C=10, plain words)": {"C": 10.0, "mark_negation": False, "concepts": ""},
                "config.yml without concepts": {**vote_config(), "concepts": ""}, "config.yml": vote_config()}
    shares = (0.0,) if args.vote_only else SHARES

    results: dict[tuple[str, str, float], list[tuple[float, float]]] = {}
    for fold in args.folds:
        train, held_out = folds[fold]
        if args.vote_only:
            diet = [{} for _ in held_out]
        else:
            model = train_fold(examples, train, fold, args.work)
            diet = diet_rankings(model, [examples[i].get(TEXT) for i in held_out],
                                 args.work / f"fold{fold}-diet.json")
        for label, config in settings.items():
            vote = LexicalIntentClassifier({**config, "diet_weight": 0.5}, None, None)  # type: ignore[arg-type]
            vote.model = vote._pipeline().fit(vote._rows([examples[i] for i in train]), [intents[i] for i in train])
            probabilities = vote.model.predict_proba(vote._rows([examples[i] for i in held_out]))
            classes = list(vote.model.classes_)
            for language in LANGUAGES:
                rows = [k for k, i in enumerate(held_out) if languages[i] == language and intents[i] not in mechanics]
                gold = [intents[held_out[k]] for k in rows]
                lexical = [dict(zip(classes, probabilities[k], strict=True)) for k in rows]
                for share in shares:
                    results.setdefault((label, language, share), []).append(
                        score(gold, lexical, [diet[k] for k in rows], share))

    print(f"held-out folds {args.folds} of 5 (business intents only); cells: macro-F1 / fallback share")
    print(f"{'vote settings':30s} {'lang':4s} " + " ".join(f"DIET {s:<10.1f}" for s in shares))
    for label in settings:
        for language in LANGUAGES:
            cells = []
            for share in shares:
                runs = results[(label, language, share)]
                cells.append(f"{np.mean([f for f, _ in runs]):.3f} / {np.mean([b for _, b in runs]):.2f}")
            print(f"{label:30s} {language:4s} " + " ".join(f"{c:15s}" for c in cells))
    print(f"config.yml: {json.dumps(vote_config())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
