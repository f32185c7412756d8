"""Rasa's stores as we run them (loaded by Rasa from bot/endpoints.yml): the SQL tracker store with its database work
taken off the event loop, and the Redis lock store with its ticket changes made atomic across processes.

Rasa 3.6's SQLTrackerStore runs its queries and its commit synchronously inside the coroutine that serves a turn,
so while one conversation waits on the database (SQLite's fsync, a PostgreSQL round trip, another process holding
SQLite's write lock) every other conversation on that Rasa process waits too. Here the same queries run in a worker
thread, and the event loop goes on parsing other visitors' messages meanwhile. Turns of one conversation still run
one at a time: Rasa's lock store serialises them before the tracker is read.

Rasa's save counts the conversation's stored events with a query (almost half of save's time) to know which of the
tracker's events are new. The store knows that number already: the tracker it read in this turn held exactly the
stored events, and the lock store keeps any other process from adding to them until this turn is saved. For a
tracker it did not read or save itself (a new conversation, events replaced over the HTTP API), Rasa's count
query runs as before.

SQLite connections also get what the app's own connections get (privacy_desk/db.py): WAL's NORMAL sync, and a
busy timeout, so two Rasa processes writing at once wait for each other instead of failing.

Rasa 3.6's RedisLockStore issues and returns a conversation's tickets by reading the lock from Redis, changing it
and writing it back. Two Rasa processes taking a turn of the same conversation at the same moment both read the
lock before either writes, so both get the same ticket and both go in: turns interleave, and one turn's events are
lost from the tracker store. Each such change here runs under a short Redis lock of its own (redis-py's Lock, a
SET NX with an expiry), so tickets are issued one at a time and the turns queue as Rasa means them to.

This module is imported by Rasa only, in its own virtualenv: it must not import privacy_desk.
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from collections import OrderedDict
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import event

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Conversations whose stored-event count is remembered (the oldest forgotten first): a forgotten one costs one
# count query at its next save.
COUNTS_KEPT = 10_000
TICKET_CHANGE_SECONDS = 10  # a ticket change takes milliseconds; the expiry only frees it if a process dies mid-way


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _in_thread(coroutine: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    # The parent's methods are coroutines that await nothing of the server's loop (save streams to an event broker
    # only when one is configured; see save), so each runs to the end on a private loop in the worker thread.
    return asyncio.ensure_future(asyncio.to_thread(asyncio.run, coroutine))


class ConversationStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            self.engine.dispose()  # connections opened while creating the tables lack the pragmas
        # Per conversation: the tracker object this store read or saved last, and how many events were stored then.
        self._stored_counts: OrderedDict[str, tuple[weakref.ref[DialogueStateTracker], int]] = OrderedDict()

    def _remember(self, tracker: DialogueStateTracker) -> None:
        self._stored_counts[tracker.sender_id] = (weakref.ref(tracker), len(tracker.events))
        self._stored_counts.move_to_end(tracker.sender_id)
        while len(self._stored_counts) > COUNTS_KEPT:
            self._stored_counts.popitem(last=False)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if self.event_broker is not None:  # a broker lives on the server's loop: keep Rasa's own path
            await super().save(tracker)
        else:
            await _in_thread(super().save(tracker))
        self._remember(tracker)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        tracker = await _in_thread(super()._retrieve(sender_id, fetch_events_from_all_sessions))
        if tracker is not None and not fetch_events_from_all_sessions:  # the events save would count
            self._remember(tracker)
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        # Only for the very tracker read or saved here: one built elsewhere (a new conversation, the HTTP API's
        # replaced events) is counted by Rasa's query.
        known = self._stored_counts.get(tracker.sender_id)
        if known is None or known[0]() is not tracker:
            return super()._additional_events(session, tracker)  # type: ignore[no-any-return]
        return itertools.islice(tracker.events, known[1], len(tracker.events))


class ConversationLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _changing(self, conversation_id: str) -> Any:
        return self.red.lock(f"{self.key_prefix}{conversation_id}:changing", timeout=TICKET_CHANGE_SECONDS,
                             blocking_timeout=TICKET_CHANGE_SECONDS, sleep=0.002)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._changing(conversation_id):
            return int(super().issue_ticket(conversation_id, lock_lifetime))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._changing(conversation_id):
            super().cleanup(conversation_id, ticket_number)
