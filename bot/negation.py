"""Negation scope for the n-gram intent vote: "don't delete anything, just fix my email" is not a deletion.

A bag of n-grams sees "delete" in both "delete my data" and "don't delete my data". Marking every word between
a negation cue and the end of its clause ("not_delete", "not_anything") gives the classifier separate features
for negated words, the classic treatment of negation in bag-of-words models. A clause ends at punctuation or at
a word that turns the sentence ("but", "just", "instead", ...). Japanese negates with verb endings (削除しないで),
which the character n-grams already carry, so only Latin-script cues are marked. No rasa imports: the app's
tests exercise this directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NEGATION_CUES = frozenset({
    "not", "no", "never", "nothing", "none", "neither", "nor", "without", "dont", "doesnt", "didnt", "cannot",
    "cant", "wont", "isnt", "arent", "wasnt", "werent", "shouldnt", "wouldnt", "havent", "hasnt", "hadnt",
})
# Words that start a new thought: "don't delete it, *just* fix it", "not the newsletter *but* the seminar mail".
CLAUSE_TURNS = frozenset({"but", "just", "only", "instead", "rather", "however", "except", "and", "please", "so",
                          "though", "although", "because"})
_BOUNDARY = re.compile(r"[.,;:!?()\n\u3001\u3002\uff01\uff1f\uff08\uff09]")
PREFIX = "not_"


def _is_cue(word: str) -> bool:
    plain = word.replace("'", "").replace("\u2019", "")
    return plain in NEGATION_CUES or word.endswith(("n't", "n\u2019t"))


def scoped_words(text: str, tokens: Iterable[tuple[str, int, int]]) -> list[str]:
    """Lower-cased token words, those inside a negation's clause prefixed with `not_`.

    `tokens` are (word, start, end) offsets into `text`, as a tokenizer gives them.
    """
    words: list[str] = []
    in_scope = False
    previous_end = 0
    for word, start, end in tokens:
        word = word.lower()
        if _BOUNDARY.search(text[previous_end:start]) or word in CLAUSE_TURNS:
            in_scope = False
        previous_end = end
        if _is_cue(word):
            in_scope = True
            words.append(word)
        else:
            words.append(PREFIX + word if in_scope else word)
    return words
