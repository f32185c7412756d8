"""DIET's share of the vote (config.yml, bot/lexical_classifier.py `diet_weight`) re-scored on the held-out sets
from one parse of each item, beside the share the model was trained with.

    .venv/bin/python bench/vote_share.py [--items dev real-dev test real-test] [--shares 0.2 0.3 0.4 0.5 0.6]

Every parse carries both votes (`intent_votes`: DIET's and the n-gram model's probabilities), so a different
share needs no retraining: each item is classified as the app classifies it (privacy_desk.classify), with the
ranking re-averaged at each share. The row marked `model` is the parse as it came, which the row of the trained
share reproduces. Choose on dev and real-dev only; test and real-test are printed to report, not to choose.
Macro-F1 over the intents each set has, as bench/nlu_eval.py scores it. Uses the Rasa server at --rasa-url, or
starts one with the current model.
"""

from __future__ import annotations

import argparse
import copy
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from nlu_eval import load_items, macro_f1  # noqa: E402

from desk_app import nlu_data  # noqa: E402
from desk_app.rasa import free_port, is_up, rasa_server  # noqa: E402
from privacy_desk.classify import NluClient, classify  # noqa: E402


class RevotingNlu:
    """Parses each text once; hands out the parse with its ranking re-averaged at `share` (None: as parsed)."""

    def __init__(self, client: NluClient) -> None:
        self.client = client
        self.parsed: dict[str, dict[str, Any]] = {}
        self.share: float | None = None

    def parse(self, text: str) -> dict[str, Any]:
        if text not in self.parsed:
            self.parsed[text] = self.client.parse(text)
        result = copy.deepcopy(self.parsed[text])
        votes = result.get("intent_votes")
        if self.share is not None and votes:
            diet, lexical = votes["diet"], votes["lexical"]
            scores = {name: self.share * diet.get(name, 0.0) + (1 - self.share) * lexical.get(name, 0.0)
                      for name in set(diet) | set(lexical)}
            ranking = [{"name": name, "confidence": score}
                       for name, score in sorted(scores.items(), key=lambda item: -item[1])]
            result["intent"], result["intent_ranking"] = ranking[0], ranking
        return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--items", nargs="+", choices=sorted(nlu_data.HELD_OUT),
                        default=["dev", "real-dev", "test", "real-test"], metavar="KIND")
    parser.add_argument("--shares", nargs="+", type=float, default=[0.2, 0.3, 0.4, 0.5, 0.6])
    args = parser.parse_args()

    columns = [(kind, language, load_items(kind, (language,))) for kind in dict.fromkeys(args.items)
               for language in ("en", "ja")]
    print(f"{'share':<7}" + "".join(f"{kind + ' ' + language:>14}" for kind, language, _ in columns))
    with ExitStack() as stack:
        url = args.rasa_url
        if not is_up(url):
            url = stack.enter_context(rasa_server(free_port())).url
        nlu = RevotingNlu(NluClient(url))
        for share in [None, *args.shares]:
            nlu.share = share
            row = []
            for _, _, items in columns:
                predicted = [classify(nlu, item["text"], item.get("subject"), item.get("channel", "chat")).intent
                             for item in items]
                row.append(macro_f1([item["intent"] for item in items], predicted))
            print(f"{'model' if share is None else f'{share:.2f}':<7}" + "".join(f"{value:>14.3f}" for value in row),
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
