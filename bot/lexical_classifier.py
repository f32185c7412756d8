"""A word and character n-gram intent classifier that votes with DIET (runs inside .venv-rasa, loaded by config.yml).

DIET learns fine distinctions but, trained on a few thousand examples, is sometimes confidently wrong on phrasing
it never saw; TF-IDF n-grams with logistic regression generalise more evenly but miss context. Their errors
differ, so averaging the two probability distributions beats either alone. This component sits after
DIETClassifier (which must rank every intent: `ranking_length: 0`), trains its own model from the same examples
(words are the tokenizer's tokens, so Japanese is split by MeCab; words inside a negation are marked, see
bot/negation.py; each domain concept found in the message, intents/concepts/, is one more feature, see
bot/concepts.py) and replaces the intent and its ranking by the weighted average (both votes are kept in the
parse result as `intent_votes`). DIET still extracts the entities.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import concepts, negation
from bot.concepts import Lexicon, load_lexicon
from bot.negation import scoped_words
from privacy_desk.languages import detect_language

log = logging.getLogger(__name__)

_FILE = "lexical_classifier.pkl"


def _words_and_concepts(message: Message, mark_negation: bool, lexicon: Lexicon | None) -> tuple[str, str]:
    """The message's words and its concepts ("@erase"), those inside a negation prefixed with `not_`."""
    text = message.get(TEXT) or ""
    tokens = [(t.text, t.start, t.end, False) for t in message.get(TOKENS_NAMES[TEXT]) or []
              if t.text and not t.text.startswith("__")]
    found = [(concepts.MARK + m.concept, m.start, m.start, True) for m in (lexicon.matches(text) if lexicon else [])]
    # A concept sits just before the word it starts at, so it falls inside that word's negation scope.
    merged = sorted(tokens + found, key=lambda item: (item[1], not item[3]))
    if mark_negation:
        marked = scoped_words(text, [(word, start, end) for word, start, end, _ in merged])
    else:
        marked = [word.lower() for word, *_ in merged]
    words = [w for w, (*_, is_concept) in zip(marked, merged, strict=True) if not is_concept]
    found_concepts = [w for w, (*_, is_concept) in zip(marked, merged, strict=True) if is_concept]
    return " ".join(words), " ".join(found_concepts)


def _chars(message: Message) -> str:
    return concepts.normalise(message.get(TEXT) or "")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LexicalIntentClassifier(GraphComponent, IntentClassifier):
    """TF-IDF (token 1-2-grams with negation scope + char 2-4-grams) and logistic regression, averaged with DIET's
    ranking."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # diet_weight: DIET's share of the vote (0: this model alone, 1: DIET alone), one number or one per
        # language ({"en": 0.2, "ja": 0.5}; the message's language by script, privacy_desk/languages.py).
        # mark_negation: words inside a negation become separate features (bot/negation.py).
        # concepts: the concept files' folder, relative to the project (bot/concepts.py); "" for none.
        return {"diet_weight": 0.5, "C": 10.0, "max_iter": 2000, "ranking_length": 10, "mark_negation": True,
                "concepts": "intents/concepts"}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # Rasa caches a trained component by its config; the concept files and the feature code are inputs too.
        digest = hashlib.sha256()
        for module in (__file__, concepts.__file__, negation.__file__):
            digest.update(Path(module).read_bytes())
        folder = cls._concept_folder({**cls.get_default_config(), **config})
        if folder is not None:
            digest.update(concepts.lexicon_digest(folder).encode())
        return digest.hexdigest()[:16]

    @staticmethod
    def _concept_folder(config: dict[str, Any]) -> Path | None:
        return concepts.PROJECT_ROOT / config["concepts"] if config.get("concepts") else None

    def diet_weight(self, text: str) -> float:
        weight = self.config["diet_weight"]
        if isinstance(weight, dict):
            language = detect_language(text).value
            return float(weight.get(language, weight.get("default", 0.5)))
        return float(weight)

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: Any = None, lexicon: Lexicon | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        folder = self._concept_folder(self.config)
        # Trained models carry the lexicon they were trained with; a new one reads the concept files.
        if lexicon is None and folder is not None and model is None:
            lexicon = load_lexicon(folder)
        self.lexicon = lexicon

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LexicalIntentClassifier:
        return cls(config, model_storage, resource)

    def _pipeline(self) -> Any:
        from sklearn.compose import ColumnTransformer
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        features = ColumnTransformer([
            ("words", TfidfVectorizer(analyzer="word", tokenizer=str.split, token_pattern=None, lowercase=False,
                                      ngram_range=(1, 2), sublinear_tf=True), 0),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True), 1),
            ("concepts", TfidfVectorizer(analyzer="word", tokenizer=str.split, token_pattern=None, lowercase=False,
                                         sublinear_tf=True), 2),
        ])
        classifier = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"])
        return Pipeline([("features", features), ("classifier", classifier)])

    def _rows(self, messages: list[Message]) -> Any:
        import numpy as np

        mark = bool(self.config["mark_negation"])
        rows = [[*_words_and_concepts(m, mark, self.lexicon), _chars(m)] for m in messages]
        # Column order: words, chars, concepts (an empty concept column still needs one token to fit).
        return np.array([[words, chars, found or "@none"] for words, found, chars in rows],
                        dtype=object).reshape(-1, 3)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            log.debug("LexicalIntentClassifier: fewer than two intents, nothing to train")
            return self._resource
        self.model = self._pipeline().fit(self._rows(examples), [e.get(INTENT) for e in examples])
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _FILE).write_bytes(pickle.dumps({"model": self.model, "lexicon": self.lexicon}))
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LexicalIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                # Our own file inside our own model archive, written by train() above.
                stored = pickle.loads((directory / _FILE).read_bytes())
        except (ValueError, FileNotFoundError):
            return cls.create(config, model_storage, resource, execution_context)
        return cls(config, model_storage, resource, stored["model"], stored["lexicon"])

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None or not messages:
            return messages
        probabilities = self.model.predict_proba(self._rows(messages))
        classes = list(self.model.classes_)
        for message, row in zip(messages, probabilities, strict=True):
            if not message.get(TEXT):
                continue
            weight = self.diet_weight(message.get(TEXT))
            scores = {name: (1 - weight) * float(p) for name, p in zip(classes, row, strict=True)}
            diet = message.get(INTENT_RANKING_KEY) or []
            if diet:
                for ranked in diet:
                    name = ranked.get("name")
                    scores[name] = scores.get(name, 0.0) + weight * float(ranked.get("confidence") or 0.0)
            else:  # DIET did not rank this message: this model decides alone
                scores = {name: float(p) for name, p in zip(classes, row, strict=True)}
            # Both votes go out with the parse result, so a surprising intent can be explained afterwards.
            message.set("intent_votes", {
                "diet": {r["name"]: round(float(r.get("confidence") or 0.0), 4) for r in diet if r.get("name")},
                "lexical": {name: round(float(p), 4) for name, p in zip(classes, row, strict=True)},
            }, add_to_output=True)
            ranking = [{"name": name, "confidence": score}
                       for name, score in sorted(scores.items(), key=lambda item: -item[1])]
            message.set(INTENT, ranking[0], add_to_output=True)
            length = int(self.config["ranking_length"])
            message.set(INTENT_RANKING_KEY, ranking[:length] if length > 0 else ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
