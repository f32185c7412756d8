"""The SQL tracker store as Rasa loads it: two processes taking turns of one conversation store every event
once and in order, without Rasa's count query, which runs only for a tracker the store did not read or save."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from desk_app.rasa import RASA_VENV
from privacy_desk.settings import PROJECT_ROOT

pytestmark = pytest.mark.rasa  # the store runs in Rasa's virtualenv, as Rasa loads it

# Two stores on one database stand for two Rasa processes; the lock store would order their turns, here they
# simply alternate. Every statement that counts rows is recorded.
TAKE_TURNS = """
import asyncio, json, sys
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import event

domain = Domain.load("bot/domain.yml")
config = EndpointConfig(url=sys.argv[1], type="bot.conversation_store.ConversationStore")
stores = [TrackerStore.create(config, domain=domain) for _ in range(2)]
counting = []
for store in stores:
    assert type(store).__name__ == "ConversationStore", type(store)
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: counting.append(1) if "count(" in statement.lower() else None)

async def turn(store, text):
    tracker = await store.get_or_create_tracker("visitor")
    tracker.update(UserUttered(text))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)

async def main():
    await turn(stores[0], "message 0")
    created = len(counting)  # the new conversation's first save: a tracker no store has read
    for n in range(1, 6):
        await turn(stores[n % 2], f"message {n}")
    during_turns = len(counting) - created
    # A tracker built outside the store, as the HTTP API builds one from posted events.
    stored = await stores[1].retrieve("visitor")
    unread = DialogueStateTracker.from_events("visitor", list(stored.events), domain.slots)
    unread.update(UserUttered("message 6"))
    await stores[1].save(unread)
    tracker = await stores[0].retrieve("visitor")
    print(json.dumps({"texts": [e.text for e in tracker.events if e.type_name == "user"],
                      "counted_at_creation": created, "counted_during_turns": during_turns,
                      "counted_after": len(counting) - created - during_turns}))

asyncio.run(main())
"""


def test_two_processes_store_each_event_once_without_counting_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    result = subprocess.run([str(RASA_VENV / "bin" / "python"), "-c", TAKE_TURNS, url], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=180,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false",
                                 "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["texts"] == [f"message {n}" for n in range(7)]  # each once, in order, across both stores
    assert out["counted_at_creation"] == 1
    assert out["counted_during_turns"] == 0
    assert out["counted_after"] == 1  # Rasa's own count, for the tracker this store had not read
