"""The mail pipeline on ../shared/real-mail/ (real messages from public projects' test data), scored against
expect.json, next to a naive baseline that only honours the Auto-Submitted header.

    .venv/bin/python bench/real_mail.py [--rasa-url URL] [--dir ../shared/real-mail]

Runs every message through the same pipeline as `privacy-desk mail process --dry-run` (scratch SQLite, nothing
sent) and prints, per message, the action and whether a reply would go out.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desk_app.rasa import free_port, is_up, rasa_server  # noqa: E402
from mail_ingest.parse import Unparseable, parse_mail  # noqa: E402
from mail_ingest.pipeline import MailPipeline  # noqa: E402
from privacy_desk.classify import NluClient, classify  # noqa: E402
from privacy_desk.db import make_engine, migrate  # noqa: E402
from privacy_desk.policy import load_pack  # noqa: E402


def naive_would_reply(raw: bytes) -> bool:
    try:
        mail = parse_mail(raw)
    except Unparseable:
        return False
    auto = (mail.header("auto-submitted") or "no").lower()
    return auto.startswith("no")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--dir", type=Path, default=ROOT.parent / "shared" / "real-mail")
    args = parser.parse_args()
    expect = json.loads((args.dir / "expect.json").read_text())
    with ExitStack() as stack, tempfile.TemporaryDirectory() as work:
        url = args.rasa_url if is_up(args.rasa_url) else stack.enter_context(rasa_server(free_port())).url
        nlu = NluClient(url)
        database = f"sqlite:///{work}/bench.db"
        migrate(database)
        pipeline = MailPipeline(make_engine(database), load_pack("itosoft"), b"bench", "privacy@itosoft.example.com",
                                lambda body, subject: classify(nlu, body, subject, "email"))
        ok = naive_ok = crashes = loops_answered = naive_loops_answered = 0
        for name, want in sorted(expect.items()):
            raw = (args.dir / f"{name}.eml").read_bytes()
            try:
                decision = pipeline.process(raw, dry_run=True)
                action, replies = decision.action, decision.reply is not None
            except Exception as exc:
                action, replies = f"CRASH {type(exc).__name__}", False
                crashes += 1
            good = action in want["action_in"] and (replies == want["reply"] or want["reply"])
            naive = naive_would_reply(raw)
            naive_good = (not naive) or want["reply"]
            ok += good
            naive_ok += naive_good
            loops_answered += bool(want.get("loop")) and replies
            naive_loops_answered += bool(want.get("loop")) and naive
            print(f"{'ok ' if good else 'BAD'} {name:48} {action:12} reply={replies!s:5} "
                  f"(want {'/'.join(want['action_in'])}, reply={want['reply']})")
    total = len(expect)
    print(f"\nreal mail: {ok}/{total} decided as expected; {crashes} crashes; {loops_answered} machine mails answered")
    print(f"baseline (Auto-Submitted only): {naive_ok}/{total} reply decisions right; {naive_loops_answered} machine "
          "mails answered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
