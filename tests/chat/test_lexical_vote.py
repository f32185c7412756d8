"""The n-gram vote inside the Rasa model (bot/lexical_classifier.py), run in Rasa's own virtualenv."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from desk_app.rasa import RASA_VENV, rasa_env

pytestmark = pytest.mark.rasa  # runs in Rasa's virtualenv

# Trains the component on a handful of examples and reports what it decides, without a Rasa server.
SCRIPT = r"""
import json
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from bot.lexical_classifier import LexicalIntentClassifier
from bot.tokenizer import MixedScriptTokenizer

tokenizer = MixedScriptTokenizer(MixedScriptTokenizer.get_default_config())
def message(text, intent=None):
    m = Message.build(text=text, intent=intent)
    tokenizer.process([m])
    return m
examples = [message(t, i) for t, i in [
    ("please delete my data", "request_deletion"), ("erase my account", "request_deletion"),
    ("delete everything you have on me", "request_deletion"), ("remove my personal data", "request_deletion"),
    ("fix my email address", "request_correction"), ("update my phone number", "request_correction"),
    ("my address is wrong, correct it", "request_correction"), ("change my registered name", "request_correction"),
    ("do not delete my data, fix my email", "request_correction"),
    ("don't erase my account, just update it", "request_correction"),
]]
vote = LexicalIntentClassifier({"diet_weight": {"en": 0.2, "ja": 0.5}, "C": 40.0}, None, None)
vote.model = vote._pipeline().fit(vote._rows(examples), [e.get("intent") for e in examples])
negated = message("Don't delete anything, just fix my email")
words, _, found = vote._rows([negated])[0]
japanese = vote._rows([message("削除ではなく、住所の誤りを訂正してください")])[0][2]
[plain] = vote.process([message("please delete all my data")])
print(json.dumps({"words": words, "concepts": found.split(), "concepts_ja": japanese.split(),
                  "plain": plain.get("intent")["name"],
                  "en": vote.diet_weight("delete my data"), "ja": vote.diet_weight("個人情報を削除してください"),
                  "votes": sorted(plain.get("intent_votes"))}))
"""


def test_the_vote_reads_negation_and_concepts_and_weighs_diet_by_language() -> None:
    result = subprocess.run([str(RASA_VENV / "bin" / "python"), "-c", SCRIPT], capture_output=True, text=True,
                            timeout=180, env={**rasa_env(), "TF_CPP_MIN_LOG_LEVEL": "3"}, cwd=os.getcwd())
    assert result.returncode == 0, result.stderr[-3000:]
    decided = json.loads(result.stdout.strip().splitlines()[-1])
    # The shipped concept files (intents/concepts/): "delete" inside a negation is a negated erasure.
    concepts = decided.pop("concepts")
    assert "not_@erase" in concepts and "@erase" not in concepts
    assert {"@erase", "@fix"} <= set(decided.pop("concepts_ja"))
    assert decided == {"words": "don't not_delete not_anything just fix my email", "plain": "request_deletion",
                       "en": 0.2, "ja": 0.5, "votes": ["diet", "lexical"]}
