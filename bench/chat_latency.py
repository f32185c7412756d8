"""Chat latency over the REST webhook: 20 concurrent conversations against one sequential conversation (the
baseline), through the real Rasa server and action server, from one run.

    .venv/bin/python bench/chat_latency.py [--conversations 20] [--rounds 3]

Each conversation: greet, ask a policy question, start a deletion request, give a name, cancel.
Target: p95 under 150 ms with 20 concurrent conversations on a 2-core machine.

Two loads are reported for the 20 conversations: paced like people (each visitor reads the answer and types
for 1-4 s before the next message, seeded so runs compare), and back-to-back (every visitor sends the next
message the moment the answer arrives: a stress figure, 20 messages always in flight).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.smtp import smtp_server  # noqa: E402
from tests.support.stack import chat_stack  # noqa: E402

TURNS = ["hello", "What do you use my personal information for?", "Please delete my personal data", "Taro Yamada",
         "cancel"]


async def conversation(client: httpx.AsyncClient, url: str, timings: list[float],
                       pause: random.Random | None) -> None:
    sender = f"bench-{uuid.uuid4().hex[:10]}"
    if pause:
        await asyncio.sleep(pause.uniform(0, 4.0))  # visitors arrive over a few seconds, not all at once
    for text in TURNS:
        if pause:
            await asyncio.sleep(pause.uniform(1.0, 4.0))
        started = time.perf_counter()
        response = await client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
        response.raise_for_status()
        timings.append((time.perf_counter() - started) * 1000)


async def measure(url: str, concurrent: int, rounds: int, paced: bool = False) -> list[float]:
    timings: list[float] = []
    seed = random.Random(7)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrent + 5)) as client:
        for _ in range(rounds):
            await asyncio.gather(*(conversation(client, url, timings, random.Random(seed.random()) if paced
                                                else None) for _ in range(concurrent)))
    return timings


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work, smtp_server() as smtp, chat_stack(Path(work), smtp.port) as stack:
        asyncio.run(measure(stack.rasa_url, 2, 1))  # warm up
        single = asyncio.run(measure(stack.rasa_url, 1, args.rounds * 2))
        paced = asyncio.run(measure(stack.rasa_url, args.conversations, args.rounds, paced=True))
        loaded = asyncio.run(measure(stack.rasa_url, args.conversations, args.rounds))
    print("chat latency over REST (ms)                     p50     p95     max   requests")
    for label, values in [("1 conversation (baseline)", single),
                          (f"{args.conversations} concurrent, paced like people", paced),
                          (f"{args.conversations} concurrent, back-to-back", loaded)]:
        print(f"{label:44s} {percentile(values, 50):7.1f} {percentile(values, 95):7.1f} {max(values):7.1f} "
              f"{len(values):6d}")
    print("target: p95 < 150 ms with 20 concurrent conversations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
