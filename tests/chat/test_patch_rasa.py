"""The fixes applied to Rasa's locked packages: each applies once, keeps validating, and refuses changed code."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot import patch_rasa
from desk_app.rasa import RASA_VENV

pytestmark = pytest.mark.rasa  # runs in Rasa's virtualenv

RASA_ACTION = '''class RemoteAction:
    def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
        try:
            validate(result, self.action_response_format_spec())
            return True
'''


def test_action_response_validation_is_patched_once() -> None:
    once = patch_rasa.action_response_validation(RASA_ACTION)
    assert "validate(result, self.action_response_format_spec())" not in once
    assert "_validate_action_response(result)" in once
    assert "check_schema(schema)" in once
    assert patch_rasa.action_response_validation(once) == once


def test_an_earlier_version_of_the_validation_patch_is_brought_up_to_date() -> None:
    earlier = RASA_ACTION.replace("validate(result, self.action_response_format_spec())",
                                  "_validate_action_response(result)  " + patch_rasa.MARK)
    earlier += f"\n\n{patch_rasa.MARK}: the schema is constant; check it once.\ndef old(): ...\n"
    updated = patch_rasa.action_response_validation(earlier)
    assert "def old()" not in updated and "_event_seen_valid" in updated
    assert updated == patch_rasa.action_response_validation(patch_rasa.action_response_validation(RASA_ACTION))


def test_sanic_receive_is_patched_once() -> None:
    source = "done, pending = await asyncio.wait((self.recv_cancel, self.assembler.get(timeout)))\n"
    once = patch_rasa.sanic_websocket_receive(source)
    assert "asyncio.ensure_future(self.assembler.get(timeout))" in once
    assert patch_rasa.sanic_websocket_receive(once) == once


def test_unrecognised_source_is_refused(tmp_path: Path) -> None:
    changed = tmp_path / "action.py"
    changed.write_text("def run():\n    validate_differently()\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="could not patch"):
        patch_rasa.patch_file(changed, patch_rasa.action_response_validation, "_validate_action_response(result)")
    assert changed.read_text(encoding="utf-8") == "def run():\n    validate_differently()\n"


CHECK_INSTALLED = """
import jsonschema, rasa.core.actions.action as action
remote = action.RemoteAction("action_x", None)
valid = {"event": "slot", "name": "email", "value": "a@b.jp"}
assert remote._validate_action_result({"events": [valid]})
assert remote._validate_action_result({"events": [valid]})  # the second time from the digest of the first
for bad in ({"events": [valid], "responses": "text"}, {"events": [valid, {"event": "slot", "value": 1}]}):
    try:
        remote._validate_action_result(bad)
    except jsonschema.ValidationError as error:
        print("refused:", error.message.split(".")[0])
"""


def test_the_installed_rasa_still_validates_action_responses() -> None:
    python = RASA_VENV / "bin" / "python"
    source = next(RASA_VENV.glob("lib/python3*/site-packages/rasa/core/actions/action.py")).read_text("utf-8")
    assert "_validate_action_response(result)  " + patch_rasa.MARK in source
    result = subprocess.run([str(python), "-c", CHECK_INSTALLED], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused: 'text' is not of type 'array'" in result.stdout
    assert result.stdout.count("refused:") == 2  # an unseen bad event next to a seen good one is still refused


RASA_ENDPOINT = '''class EndpointConfig:
    async def request(self, method="post", subpath=None, **kwargs):
        async with self.session() as session:
            async with session.request(method, self.url, **kwargs) as response:
                return await response.json()
'''


def test_endpoint_sessions_are_pooled_once() -> None:
    once = patch_rasa.pooled_endpoint_sessions(RASA_ENDPOINT)
    assert "async with self.session() as session:" not in once
    assert "async with _pooled_session(self) as session:" in once
    assert patch_rasa.pooled_endpoint_sessions(once) == once


# Three calls through one endpoint, as Rasa makes them to the action server; the server records the client port
# of each, and a fourth call after the server dropped every connection still succeeds.
CHECK_POOLED = """
import asyncio
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

async def main():
    ports = []
    async def answer(request):
        ports.append(request.transport.get_extra_info("peername")[1])
        return web.json_response({"events": []})
    app = web.Application()
    app.router.add_post("/webhook", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    for _ in range(3):
        assert await endpoint.request(json={"next_action": "action_x"}) == {"events": []}
    await runner.cleanup()
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    assert await endpoint.request(json={"next_action": "action_x"}) == {"events": []}
    print("ports", len(set(ports[:3])), len(ports))
    await runner.cleanup()

asyncio.run(main())
"""


def test_the_installed_rasa_reuses_its_connection_to_an_endpoint() -> None:
    source = next(RASA_VENV.glob("lib/python3*/site-packages/rasa/utils/endpoints.py")).read_text("utf-8")
    assert "async with _pooled_session(self) as session:  " + patch_rasa.MARK in source
    result = subprocess.run([str(RASA_VENV / "bin" / "python"), "-c", CHECK_POOLED], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ports 1 4" in result.stdout  # one connection for the first three calls; the fourth reconnected
