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
assert remote._validate_action_result({"events": [{"event": "slot", "name": "email", "value": "a@b.jp"}]})
try:
    remote._validate_action_result({"events": [{"event": "slot", "name": "email"}], "responses": "text"})
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
