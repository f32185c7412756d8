"""What one action call costs Rasa, with bot/patch_rasa.py's fixes beside Rasa's own way, from one run.

    .venv-rasa/bin/python bench/action_calls.py [--calls 300]

Runs in Rasa's virtualenv (the patched Rasa is what it measures). Two figures, each beside its baseline:
- validating a typical response of the action server (7 slot events and a text, as the first turn of a request
  returns): the patched `_validate_action_response` against checking the whole response with the full validator;
- a call to an endpoint, client and a local aiohttp server in one process: the patched `EndpointConfig.request`
  (one kept session) against a new session per call, as Rasa 3.6 makes it. CPU is of the whole process.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
import timeit
from typing import Any

import rasa.core.actions.action as action
from aiohttp import web
from jsonschema.exceptions import best_match
from rasa.utils.endpoints import EndpointConfig

SLOTS = [("language", "en"), ("request_kind", "deletion"), ("request_text", "Please delete my personal data"),
         ("submission_confirmed", None), ("correcting", None), ("fallback_count", 0.0), ("handoff_offered", False)]
RESPONSE = {"events": [{"event": "slot", "timestamp": None, "name": name, "value": value} for name, value in SLOTS],
            "responses": [{"text": "I can help you with that. First, your name?", "buttons": [], "elements": [],
                           "custom": {}, "template": None, "response": None, "image": None, "attachment": None}]}


def whole_response() -> None:
    assert best_match(action._action_response_validator().iter_errors(RESPONSE)) is None


def event_by_event() -> None:
    action._validate_action_response(RESPONSE)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def calls(calls: int) -> dict[str, tuple[float, float]]:
    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"events": []})

    app = web.Application()
    app.router.add_post("/webhook", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    endpoint = EndpointConfig(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/webhook")  # type: ignore[union-attr]
    body: dict[str, Any] = {"next_action": "action_x", "tracker": {"events": []}}

    async def new_session() -> None:
        async with endpoint.session() as session, session.post(endpoint.url, json=body) as response:
            await response.json()

    async def kept_session() -> None:
        await endpoint.request(json=body)

    results: dict[str, tuple[float, float]] = {}
    for name, call in [("new session per call", new_session), ("kept session", kept_session)] * 2:
        cpu, wall = cpu_seconds(), time.perf_counter()
        for _ in range(calls):
            await call()
        results[name] = ((time.perf_counter() - wall) * 1000 / calls, (cpu_seconds() - cpu) * 1000 / calls)
    await runner.cleanup()
    return results  # the second round of each: warmed up


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    timings = {}
    for check in [whole_response, event_by_event] * 2:  # the second round of each counts
        timings[check.__name__] = timeit.timeit(check, number=args.calls) * 1000 / args.calls
    print(f"validating a 7-event response: event by event {timings['event_by_event']:.3f} ms, "
          f"whole response (baseline) {timings['whole_response']:.3f} ms")
    kept, new = (result := asyncio.run(calls(args.calls)))["kept session"], result["new session per call"]
    print(f"one endpoint call: kept session {kept[1]:.3f} ms CPU ({kept[0]:.3f} ms wall), "
          f"new session per call (baseline) {new[1]:.3f} ms CPU ({new[0]:.3f} ms wall)")


if __name__ == "__main__":
    main()
