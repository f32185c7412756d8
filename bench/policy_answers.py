"""Policy questions as a new user asks them, answered as the desk answers them: the real model classifies each
question (Rasa's /model/parse, as the mail channel and the chat's NLU do), and the reply is the pack's answer as
the chat shows it, with the section each sentence comes from.

    .venv/bin/python bench/policy_answers.py [--rasa-url URL] [--pack itosoft|qualitysoft] [--full]

Prints, per pack and language, how many questions reached the topic they ask about (the figure), next to the
baseline of always giving the most common topic, then each question, its topic and the answer's sources.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desk_app.rasa import free_port, is_up, rasa_server  # noqa: E402
from privacy_desk.classify import NluClient, classify  # noqa: E402
from privacy_desk.decisions import topic_for_intent  # noqa: E402
from privacy_desk.languages import Language  # noqa: E402
from privacy_desk.policy import load_pack  # noqa: E402
from privacy_desk.replies import Purpose, ReplyChannel, ReplyRenderer, reply_context  # noqa: E402

QUESTIONS = ROOT / "bench" / "data" / "policy_questions.jsonl"
SOURCE = re.compile(r"\(Source: our [^,]+, (.+?)\.\)|（出典：当社\S+ (.+?)）")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rasa-url")
    parser.add_argument("--pack", action="append", help="default: both shipped packs")
    parser.add_argument("--full", action="store_true", help="print each answer in full")
    args = parser.parse_args()
    items = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    renderer = ReplyRenderer()
    with ExitStack() as stack:
        url = args.rasa_url or "http://127.0.0.1:5005"
        if not is_up(url):
            url = stack.enter_context(rasa_server(free_port())).url
        nlu = NluClient(url)
        stack.callback(nlu.close)
        results = [classify(nlu, item["text"], None, "chat") for item in items]
        # An uncertain classification gets the chat's "please rephrase", not an answer.
        topics = [None if r.uncertain else topic_for_intent(r.intent) for r in results]
        for pack_id in args.pack or ["itosoft", "qualitysoft"]:
            pack = load_pack(pack_id)
            for language in Language:
                rows = [(item, topic) for item, topic in zip(items, topics, strict=True)
                        if item["language"] == language.value]
                right = sum(1 for item, topic in rows if topic is not None and topic.value == item["topic"])
                common = Counter(item["topic"] for item, _ in rows).most_common(1)[0][1]
                print(f"\n## {pack_id} / {language.value}: right topic {right}/{len(rows)}"
                      f"  (baseline, always the commonest topic: {common}/{len(rows)})")
                for item, topic in rows:
                    if topic is None:
                        print(f"- {item['text']}\n  -> no answer (the chat asks to rephrase, or takes it as a request)")
                        continue
                    context = reply_context(pack, language, topic=topic, channel=ReplyChannel.CHAT)
                    body = renderer.render(Purpose.ANSWER, ReplyChannel.CHAT, language, context).body
                    sources = [a or b for a, b in SOURCE.findall(body)]
                    print(f"- {item['text']}\n  -> {topic.value}; sources: {'; '.join(sources) or 'none'}")
                    if args.full:
                        print("    " + body.strip().replace("\n", "\n    "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
