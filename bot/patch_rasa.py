"""Idempotent fixes to Rasa's locked packages, run by scripts/setup.sh with .venv-rasa's Python.

1. sanic 21.12.2 on Python 3.11: asyncio.wait() refuses bare coroutines, so sanic's websocket receive loop
   raises `TypeError: Passing coroutines is forbidden` and Rasa's socket.io channel never upgrades to a
   websocket. Wrapping the two `assembler.get(...)` coroutines in `asyncio.ensure_future` is the whole fix.
2. Rasa 3.6 validates every action server response with `jsonschema.validate`, which first checks the
   (constant) schema against the JSON Schema meta-schema: two thirds of the Rasa server's CPU in a chat form
   turn went there. The response is still validated in full, against a validator built once.

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

{MARK}: the schema is constant; check it against the meta-schema once.
@__import__("functools").lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_response(result: Dict[Text, Any]) -> None:
    from jsonschema.exceptions import best_match

    error = best_match(_action_response_validator().iter_errors(result))
    if error is not None:
        raise error
'''


def action_response_validation(source: str) -> str:
    if MARK in source or VALIDATE_CALL not in source:
        return source
    source = source.replace(VALIDATE_CALL, f"            _validate_action_response(result)  {MARK}\n")
    return source.rstrip("\n") + "\n" + CACHED_VALIDATOR


def main() -> None:
    patch_file(module_file("sanic", "server", "websockets", "impl.py"), sanic_websocket_receive,
               "ensure_future(self.assembler.get(")
    patch_file(module_file("rasa", "core", "actions", "action.py"), action_response_validation,
               "_validate_action_response(result)")


if __name__ == "__main__":
    main()
