"""Idempotent fix to Rasa's locked sanic 21.12.2 on Python 3.11, run by scripts/setup.sh in .venv-rasa.

Python 3.11's asyncio.wait() refuses bare coroutines, so sanic's websocket receive loop raises
`TypeError: Passing coroutines is forbidden` and Rasa's socket.io channel never upgrades to a websocket.
Wrapping the two `assembler.get(...)` coroutines in `asyncio.ensure_future` is the whole fix.
"""

import re
import sys
from pathlib import Path

import sanic.server.websockets.impl as impl

path = Path(impl.__file__)
source = path.read_text(encoding="utf-8")
patched = re.sub(r"\(self\.recv_cancel, self\.assembler\.get\((timeout(?:=0)?)\)\)",
                 r"(self.recv_cancel, asyncio.ensure_future(self.assembler.get(\1)))", source)
if patched != source:
    path.write_text(patched, encoding="utf-8")
    print(f"patched {path}", file=sys.stderr)
if "ensure_future(self.assembler.get(" not in patched:
    sys.exit(f"could not patch {path}: sanic changed; see bot/patch_rasa.py")
