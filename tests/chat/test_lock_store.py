"""The lock store several Rasa processes share: tickets for one conversation, taken by processes at the same
moment, are each issued once (Rasa's own Redis lock store reads, changes and writes the lock back, so two
processes could get the same ticket and take their turns at once)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from desk_app.rasa import RASA_VENV, store_env
from privacy_desk.settings import PROJECT_ROOT
from tests.support.redis import redis_server

pytestmark = pytest.mark.rasa  # the store runs in Rasa's virtualenv, as Rasa loads it

PROCESSES = 4
TICKETS_EACH = 500

# Each process builds the store as Rasa does from bot/endpoints.yml, waits for the others, then takes tickets
# for the same conversation as fast as it can; it prints the numbers it got.
TAKE_TICKETS = """
import json, os, sys, time
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

config = EndpointConfig(url=os.environ["LOCK_STORE_HOST"], type=os.environ["LOCK_STORE_TYPE"],
                        port=int(os.environ["LOCK_STORE_PORT"]), db=int(os.environ["LOCK_STORE_DB"]),
                        password=os.environ["LOCK_STORE_PASSWORD"], key_prefix="privacydesk")
store = LockStore.create(config)
assert type(store).__name__ == "ConversationLockStore", type(store)
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
print(json.dumps([store.issue_ticket("one-visitor") for _ in range(int(sys.argv[2]))]))
"""


def test_processes_taking_tickets_at_once_never_share_one(tmp_path: Path) -> None:
    with redis_server(tmp_path) as redis_url:
        env = {**os.environ, **store_env("sqlite://", redis_url), "PYTHONPATH": str(PROJECT_ROOT),
               "RASA_TELEMETRY_ENABLED": "false"}
        start = time.time() + 8  # Rasa's imports take seconds: all processes begin together after them
        running = [subprocess.Popen([str(RASA_VENV / "bin" / "python"), "-c", TAKE_TICKETS, str(start),
                                     str(TICKETS_EACH)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True) for _ in range(PROCESSES)]
        results = [process.communicate(timeout=120) for process in running]
    for process, (_, err) in zip(running, results, strict=True):
        assert process.returncode == 0, err[-2000:]
    tickets = [t for out, _ in results for t in json.loads(out.strip().splitlines()[-1])]
    assert len(tickets) == PROCESSES * TICKETS_EACH
    assert len(set(tickets)) == len(tickets), "two processes were given the same ticket"
