"""Mail throughput: 1,000 varied messages appended to a real IMAP server (Dovecot), processed by the real poller
(`privacy-desk mail poll`, Rasa NLU over HTTP), on SQLite and on PostgreSQL side by side from one run.

    .venv/bin/python bench/mail_throughput.py [--messages 1000] [--rasa-url URL]

Reports messages per second from the first append until every message is committed (tickets opened, replies
queued), and p50/p95 from append to reply queued. Target: at least 50 messages per second on 2 cores.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from desk_app.rasa import free_port, is_up, rasa_server  # noqa: E402
from privacy_desk.db import make_engine, migrate, session_factory  # noqa: E402
from privacy_desk.models import MailboxState, Message  # noqa: E402
from tests.mail.builders import mail  # noqa: E402
from tests.support.imap import imap_server  # noqa: E402
from tests.support.postgres import postgres_server  # noqa: E402
from tests.support.stack import app_env  # noqa: E402

BODIES = [
    ("Delete my data", "Please delete my account and erase all my personal data.", {}),
    ("Unsubscribe", "Please stop sending me your newsletter and seminar invitations.", {}),
    ("Copy of my data", "Please send me a copy of all personal data you hold about me.", {}),
    ("Address change", "My registered address is wrong, please correct it to 2-3-4 Minato, Tokyo.", {}),
    ("Question", "How long do you keep my personal data and how do you protect it?", {}),
    ("Licence", "My licence key for your asset management tool does not work after the update.", {}),
    ("Out of office", "I am away until Monday and will reply then.", {"Auto-Submitted": "auto-replied"}),
    ("Newsletter", "This week's offers.", {"List-Id": "<offers.example.com>", "Precedence": "bulk"}),
]


def build(count: int) -> list[tuple[str, bytes]]:
    rng = random.Random(1)
    out = []
    for i in range(count):
        subject, body, extra = BODIES[rng.randrange(len(BODIES))]
        message_id = make_msgid(idstring=f"b{i}", domain="example.jp")
        signature = "\n\nBest regards,\nHanako Suzuki\nExample K.K.\nTel: 03-1234-5678\n" if i % 2 else ""
        out.append((message_id, mail((body + signature).encode(), sender=f"bench-{i}@example.jp", subject=subject,
                                     message_id=message_id, extra=extra)))
    return out


def run(label: str, database_url: str, imap, rasa_url: str, messages: list[tuple[str, bytes]],  # type: ignore[no-untyped-def]
        work: Path) -> str:
    migrate(database_url)
    mailbox = f"Bench{label}"
    client = imap.client()
    client.create(mailbox)
    client.logout()
    env = {**app_env(database_url, 1, work), "IMAP_HOST": imap.host, "IMAP_PORT": str(imap.port),
           "IMAP_TLS": "false", "IMAP_USER": imap.user, "IMAP_PASSWORD": imap.password, "IMAP_MAILBOX": mailbox,
           "IMAP_IDLE_SECONDS": "1", "RASA_URL": rasa_url}
    log = open(work / f"poller-{label}.log", "ab")  # noqa: SIM115
    poller = subprocess.Popen([sys.executable, "-m", "desk_app", "mail", "poll"], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    time.sleep(4)  # let it connect and start IDLE
    appended: dict[str, float] = {}
    started = time.time()
    connection = imap.client()
    for message_id, raw in messages:
        connection.append(mailbox, None, None, raw)
        appended[message_id] = time.time()
    connection.logout()
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    while True:
        with sessions() as s:
            state = s.get(MailboxState, mailbox)
            if state is not None and state.last_uid >= len(messages):
                break
        time.sleep(0.2)
    finished = time.time()
    poller.terminate()
    poller.wait(timeout=30)
    log.close()
    with sessions() as s:
        queued = s.execute(select(Message.in_reply_to, Message.created_at).where(Message.direction == "out")).all()
    engine.dispose()
    latencies = [(created.replace(tzinfo=UTC) if created.tzinfo is None else created).timestamp() - appended[irt]
                 for irt, created in queued if irt in appended]
    rate = len(messages) / (finished - started)
    p50 = statistics.median(latencies) * 1000
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    return f"{label:<12} {rate:8.1f} msg/s   append->reply queued p50 {p50:7.0f} ms  p95 {p95:7.0f} ms  " \
           f"({len(latencies)} replies)"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    args = parser.parse_args()
    messages = build(args.messages)
    lines = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rasa_url = args.rasa_url if is_up(args.rasa_url) else stack.enter_context(rasa_server(free_port())).url
        imap = stack.enter_context(imap_server())
        postgres = stack.enter_context(postgres_server())
        lines.append(run("sqlite", f"sqlite:///{work / 'bench.db'}", imap, rasa_url, messages, work))
        lines.append(run("postgresql", postgres.create_database("bench"), imap, rasa_url, messages, work))
    print(f"mail throughput, {args.messages} messages through Dovecot + poller + Rasa NLU "
          f"({datetime.now(UTC):%Y-%m-%d})")
    print("\n".join(lines))
    print("target: at least 50 msg/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
