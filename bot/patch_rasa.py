"""Idempotent fixes to Rasa's locked packages, run by scripts/setup.sh with .venv-rasa's Python.

1. sanic 21.12.2 on Python 3.11: asyncio.wait() refuses bare coroutines, so sanic's websocket receive loop
   raises `TypeError: Passing coroutines is forbidden` and Rasa's socket.io channel never upgrades to a
   websocket. Wrapping the two `assembler.get(...)` coroutines in `asyncio.ensure_future` is the whole fix.
2. Rasa 3.6 validates every action server response with `jsonschema.validate`, which first checks the
   (constant) schema against the JSON Schema meta-schema: two thirds of the Rasa server's CPU in a chat form
   turn went there. The response is still validated in full, against a validator built once; its events one at a
   time, skipping an event already seen valid (known by a digest, so no slot value stays in memory): the schema's
   oneOf over every event type still made validation about 6% of Rasa's CPU in a chat turn.
3. Rasa 3.6 opens a new aiohttp session, and so a new TCP connection, for every call to an endpoint: two or three
   per chat turn to the action server. Each endpoint now keeps one session per event loop and reuses its
   connections. aiohttp closes an idle one after 15 s, before the action server's own 120 s, so the server does not
   drop idle ones first; one dropped by a restarting action server is noticed and replaced
   (tests/chat/test_patch_rasa.py). The kept session is not closed when Rasa stops: aiohttp logs "Unclosed client
   session" at exit, and nothing else comes of it.

Each fix fails loudly when the package's source no longer looks as expected.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path

MARK = "# privacy-desk: bot/patch_rasa.py"


def module_file(package: str, *parts: str) -> Path:
    """A module's file found without importing it (importing rasa takes seconds)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{package} is not installed in {sys.prefix}")
    return Path(spec.submodule_search_locations[0], *parts)


def patch_file(path: Path, patch: Callable[[str], str], applied: str) -> None:
    source = path.read_text(encoding="utf-8")
    patched = patch(source)
    if patched != source:
        path.write_text(patched, encoding="utf-8")
        print(f"patched {path}", file=sys.stderr)
    if applied not in patched:
        sys.exit(f"could not patch {path}: the package changed; see bot/patch_rasa.py")


def sanic_websocket_receive(source: str) -> str:
    return re.sub(r"\(self\.recv_cancel, self\.assembler\.get\((timeout(?:=0)?)\)\)",
                  r"(self.recv_cancel, asyncio.ensure_future(self.assembler.get(\1)))", source)


VALIDATE_CALL = "            validate(result, self.action_response_format_spec())\n"
CACHED_VALIDATOR = f'''

{MARK}: the schema is constant; check it against the meta-schema once. Events are checked one at a
# time, and one already seen valid (known by a digest of its JSON, so no slot value is kept) is not checked again:
# the schema's oneOf over every event type made each check a large part of Rasa's CPU in a chat turn.
@__import__("functools").lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@__import__("functools").lru_cache(maxsize=1)
def _event_validator() -> Any:
    from jsonschema.validators import validator_for

    from rasa.shared.utils.schemas.events import EVENT_SCHEMA

    return validator_for(EVENT_SCHEMA)(EVENT_SCHEMA)


_VALID_EVENTS: Dict[bytes, None] = {{}}
_VALID_EVENTS_KEPT = 4096


def _event_seen_valid(event: Any) -> bool:
    import hashlib

    key = hashlib.blake2b(json.dumps(event, sort_keys=True).encode(), digest_size=16).digest()
    if key in _VALID_EVENTS:
        return True
    if not _event_validator().is_valid(event):
        return False
    if len(_VALID_EVENTS) >= _VALID_EVENTS_KEPT:
        _VALID_EVENTS.pop(next(iter(_VALID_EVENTS)))
    _VALID_EVENTS[key] = None
    return True


def _validate_action_response(result: Dict[Text, Any]) -> None:
    from jsonschema.exceptions import best_match

    events = result.get("events") if isinstance(result, dict) else None
    if isinstance(events, list) and all(_event_seen_valid(event) for event in events):
        result = {{key: value for key, value in result.items() if key != "events"}}
    error = best_match(_action_response_validator().iter_errors(result))
    if error is not None:
        raise error
'''
# Where the appended block starts, in this version and the earlier one (which checked the whole response each time).
VALIDATOR_BLOCK_START = f"\n{MARK}: the schema is constant"


def action_response_validation(source: str) -> str:
    if VALIDATE_CALL in source:
        source = source.replace(VALIDATE_CALL, f"            _validate_action_response(result)  {MARK}\n")
    elif f"_validate_action_response(result)  {MARK}" not in source:
        return source  # neither Rasa's code nor ours: patch_file refuses it
    if VALIDATOR_BLOCK_START in source:
        source = source[:source.index(VALIDATOR_BLOCK_START)]
    return source.rstrip("\n") + "\n" + CACHED_VALIDATOR


SESSION_CALL = "        async with self.session() as session:\n"
POOLED_SESSION = f'''

{MARK}: one session per endpoint and event loop, its connections kept alive.
@__import__("contextlib").asynccontextmanager
async def _pooled_session(endpoint: "EndpointConfig") -> Any:
    import asyncio

    loop = asyncio.get_running_loop()
    kept = getattr(endpoint, "_privacy_desk_session", None)
    if kept is None or kept[0] is not loop or kept[1].closed:
        kept = (loop, endpoint.session())
        endpoint._privacy_desk_session = kept
    yield kept[1]
'''


def pooled_endpoint_sessions(source: str) -> str:
    if MARK in source or SESSION_CALL not in source:
        return source
    source = source.replace(SESSION_CALL, f"        async with _pooled_session(self) as session:  {MARK}\n")
    return source.rstrip("\n") + "\n" + POOLED_SESSION


def main() -> None:
    patch_file(module_file("sanic", "server", "websockets", "impl.py"), sanic_websocket_receive,
               "ensure_future(self.assembler.get(")
    patch_file(module_file("rasa", "core", "actions", "action.py"), action_response_validation,
               "_validate_action_response(result)")
    patch_file(module_file("rasa", "utils", "endpoints.py"), pooled_endpoint_sessions,
               "async with _pooled_session(self) as session:")


if __name__ == "__main__":
    main()
