"""Chat turn latency through the chat page beside a bare NLU parse at the same concurrency, for one Rasa process
and for several sharing the tracker store and a Redis lock store, from one run.

    .venv/bin/python bench/chat_latency.py [--workers 1 2] [--conversations 20] [--rounds 3]

Each conversation: greet, ask a policy question, start a deletion request, give a name, cancel; through the
chat page (its cookie chooses the conversation, it spreads conversations over the Rasa processes), with
conversations in the SQL tracker store as `run` keeps them. The baseline is the same texts sent to Rasa's
`/model/parse` by the same number of visitors at the same pace, spread over the same processes: what the NLU
alone costs, so the rest of a turn (dialogue policy, action server, tracker store, chat page) is what the ratio
shows.

Loads: 1 conversation; 20 paced like people (each visitor reads the answer and types for 1-4 s before the next
message, seeded so runs compare); 20 back-to-back (every visitor sends the next message the moment the answer
arrives: 20 messages always in flight).
Targets: turn p95 at 20 back-to-back <= 1.5x the parse p95 of the same run; paced turn p95 < 150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desk_app.rasa import free_port  # noqa: E402
from tests.support.redis import redis_server  # noqa: E402
from tests.support.smtp import smtp_server  # noqa: E402
from tests.support.stack import background, chat_stack, wait_until_up  # noqa: E402

TURNS = ["hello", "What do you use my personal information for?", "Please delete my personal data", "Taro Yamada",
         "cancel"]
Send = Callable[[httpx.AsyncClient, int, str], Awaitable[None]]


def chat_turn(chat_url: str) -> Send:
    async def send(client: httpx.AsyncClient, visitor: int, text: str) -> None:
        response = await client.post(f"{chat_url}/api/chat", json={"message": text})
        response.raise_for_status()
    return send


def bare_parse(rasa_urls: list[str], token: str) -> Send:
    async def send(client: httpx.AsyncClient, visitor: int, text: str) -> None:
        url = rasa_urls[visitor % len(rasa_urls)]  # spread like the chat page spreads conversations
        response = await client.post(f"{url}/model/parse", params={"token": token}, json={"text": text})
        response.raise_for_status()
    return send


async def visitor(send: Send, number: int, timings: list[float], pause: random.Random | None) -> None:
    # A client of its own: its cookie jar holds its conversation, as a browser's would.
    async with httpx.AsyncClient(timeout=120) as client:
        if pause:
            await asyncio.sleep(pause.uniform(0, 4.0))  # visitors arrive over a few seconds, not all at once
        for text in TURNS:
            if pause:
                await asyncio.sleep(pause.uniform(1.0, 4.0))
            started = time.perf_counter()
            await send(client, number, text)
            timings.append((time.perf_counter() - started) * 1000)


async def measure(send: Send, concurrent: int, rounds: int, paced: bool = False) -> list[float]:
    timings: list[float] = []
    seed = random.Random(7)
    for _ in range(rounds):
        await asyncio.gather(*(visitor(send, n, timings, random.Random(seed.random()) if paced else None)
                               for n in range(concurrent)))
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


@contextmanager
def deployment(work: Path, smtp_port: int, workers: int) -> Iterator[tuple[str, list[str], str]]:
    """`workers` Rasa processes on one tracker store (and Redis when several) behind a chat page:
    (chat page URL, Rasa URLs, Rasa API token)."""
    with ExitStack() as stack:
        lock_store = stack.enter_context(redis_server(work)) if workers > 1 else ""
        chat = stack.enter_context(chat_stack(work, smtp_port, lock_store_url=lock_store))
        urls = [chat.rasa_url] + [stack.enter_context(chat.another_rasa(f"rasa-{n}.log")).url
                                  for n in range(2, workers + 1)]
        port = free_port()
        page = stack.enter_context(background([sys.executable, "-m", "desk_app", "chat-page", "--port", str(port)],
                                              {**chat.env, "RASA_URLS": ",".join(urls)}, work / "chat-page.log"))
        wait_until_up(f"http://127.0.0.1:{port}/health", page)
        yield f"http://127.0.0.1:{port}", urls, chat.api_token


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Rasa processes, one setup each")
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    many = args.conversations
    rows = []
    with smtp_server() as smtp:
        for workers in args.workers:
            with tempfile.TemporaryDirectory() as work, deployment(Path(work), smtp.port, workers) as (page, urls,
                                                                                                    token):
                turn, parse = chat_turn(page), bare_parse(urls, token)
                asyncio.run(measure(turn, 2 * workers, 1))  # warm up every process
                for label, concurrent, rounds, paced in [("1 conversation", 1, args.rounds * 2, False),
                                                         (f"{many} paced", many, args.rounds, True),
                                                         (f"{many} back-to-back", many, args.rounds, False)]:
                    parsed = asyncio.run(measure(parse, concurrent, rounds, paced))
                    turned = asyncio.run(measure(turn, concurrent, rounds, paced))
                    rows.append((workers, label, p95(parsed), p95(turned), len(turned)))
    print("p95 in ms                               parse p95   turn p95   turn/parse   turns")
    for workers, label, parsed_p95, turned_p95, count in rows:
        print(f"{workers} Rasa process(es), {label:18s} {parsed_p95:9.1f} {turned_p95:10.1f} "
              f"{turned_p95 / parsed_p95:10.2f}x {count:7d}")
    print(f"targets: turn p95 at {many} back-to-back <= 1.5x parse p95; turn p95 at {many} paced < 150 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
