"""Rasa's SQL tracker store, with its database work taken off the event loop (loaded by Rasa from bot/endpoints.yml).

Rasa 3.6's SQLTrackerStore runs its queries and its commit synchronously inside the coroutine that serves a turn,
so while one conversation waits on the database (SQLite's fsync, a PostgreSQL round trip, another process holding
SQLite's write lock) every other conversation on that Rasa process waits too. Here the same queries run in a worker
thread, and the event loop goes on parsing other visitors' messages meanwhile. Turns of one conversation still run
one at a time: Rasa's lock store serialises them before the tracker is read.

SQLite connections also get what the app's own connections get (privacy_desk/db.py): WAL's NORMAL sync, and a
busy timeout, so two Rasa processes writing at once wait for each other instead of failing.

This module is imported by Rasa only, in its own virtualenv: it must not import privacy_desk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 10_000


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

    async def save(self, tracker: DialogueStateTracker) -> None:
        if self.event_broker is not None:  # a broker lives on the server's loop: keep Rasa's own path
            await super().save(tracker)
            return
        await _in_thread(super().save(tracker))

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        return await _in_thread(super()._retrieve(sender_id, fetch_events_from_all_sessions))
