"""CPU time per chat turn beside CPU time per bare parse, by process, from one run.

    .venv/bin/python bench/chat_cpu.py [--rounds 16]

When every core is busy (20 visitors back-to-back on 2 cores), a turn's latency over a parse's tends to the ratio
of the CPU each costs, whatever the scheduling: this is the figure that bounds bench/chat_latency.py's
back-to-back ratio. One visitor at a time sends the conversation of chat_latency.py (greet, a policy question,
a deletion request, a name, cancel) through the chat page, then the same texts to Rasa's `/model/parse`
(the baseline); the CPU each process used (user + system, from /proc) is divided by the messages sent.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from chat_latency import TURNS, bare_parse, chat_turn, deployment, measure  # noqa: E402

from tests.support.smtp import smtp_server  # noqa: E402

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
ROLES = [("rasa", lambda c: " run " in c and "rasa" in c), ("action server", lambda c: "rasa_sdk" in c),
         ("chat page", lambda c: "chat-page" in c), ("outbox", lambda c: "outbox run" in c)]


def cpu_by_role(under: int) -> dict[str, float]:
    """CPU ms used so far by the processes this run started (descendants of `under`), summed per role."""
    used: dict[str, float] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid) == under or under not in _ancestors(int(fields[1])):
            continue  # not started by this run (another checkout's tests, say)
        # Worker processes a server spawns count for the server (e.g. the action server's).
        parent_command = _command(fields[1])
        for role, matches in ROLES:
            if matches(command) or ("multiprocessing" in command and matches(parent_command)):
                used[role] = used.get(role, 0.0) + (int(fields[11]) + int(fields[12])) * TICK_MS
                break
    return used


def _ancestors(pid: int) -> set[int]:
    found = set()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found


def _command(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def per_message(send: Callable[..., object], rounds: int) -> dict[str, float]:
    before = cpu_by_role(os.getpid())
    asyncio.run(measure(send, 1, rounds))  # type: ignore[arg-type]
    after = cpu_by_role(os.getpid())
    count = rounds * len(TURNS)
    return {role: (after.get(role, 0.0) - before.get(role, 0.0)) / count for role, _ in ROLES}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=16)
    args = parser.parse_args()
    with smtp_server() as smtp, tempfile.TemporaryDirectory() as work, \
            deployment(Path(work), smtp.port, 1) as (page, urls, token):
        turn, parse = chat_turn(page), bare_parse(urls, token)
        asyncio.run(measure(turn, 2, 1))  # warm up
        parsed = per_message(parse, args.rounds)
        turned = per_message(turn, args.rounds)
    print(f"CPU ms per message ({args.rounds * len(TURNS)} messages each)   parse   turn")
    for role, _ in ROLES:
        print(f"  {role:38s} {parsed[role]:6.1f} {turned[role]:6.1f}")
    total_parse, total_turn = sum(parsed.values()), sum(turned.values())
    print(f"  {'all':38s} {total_parse:6.1f} {total_turn:6.1f}   turn/parse {total_turn / total_parse:.2f}x")
    print("bound: at saturation the back-to-back turn/parse latency ratio tends to the CPU ratio above")
    return 0


if __name__ == "__main__":
    sys.exit(main())
