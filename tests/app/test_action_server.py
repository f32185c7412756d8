"""The action server is not open to the network: `run` starts it on loopback (ACTION_SERVER_HOST), and it answers
only calls that carry the token Rasa was given (bot/action_guard.py)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bot.action_guard import TOKEN_HEADER
from desk_app.rasa import free_port
from desk_app.supervisor import InternalSecrets, planned_processes
from privacy_desk.settings import PROJECT_ROOT, Settings
from tests.support.stack import background, wait_until_up

LISTEN = "0A"


def listening_on(port: int) -> set[str]:
    """The IPv4 addresses a socket listens on for this port, from the kernel's own table."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == LISTEN and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


@contextmanager
def action_server(tmp_path: Path, extra_env: dict[str, str], drop: tuple[str, ...] = ()) -> Iterator[int]:
    """The real action server, started as `run` starts it; yields its port."""
    port = free_port()
    planned, _ = planned_processes(Settings.from_mapping({"ACTION_SERVER_PORT": str(port), "RASA_WORKERS": "1"}), "-")
    actions = next(p for p in planned if p.name == "actions")
    env = {**{k: v for k, v in os.environ.items() if k not in drop}, **extra_env,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", "PRIVACY_DESK_ENV_FILE": str(tmp_path / "none.env"),
           "PRIVACY_DESK_DATA": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT)}
    with background(actions.command, env, tmp_path / "actions.log") as process:
        wait_until_up(f"http://127.0.0.1:{port}/health", process)
        yield port


def serve_actions(tmp_path: Path, extra_env: dict[str, str], drop: tuple[str, ...] = ()) -> set[str]:
    with action_server(tmp_path, extra_env, drop) as port:
        return listening_on(port)


@pytest.mark.actions
def test_the_action_server_listens_on_loopback_only(tmp_path: Path) -> None:
    planned, _ = planned_processes(Settings.from_mapping({"RASA_WORKERS": "1"}), "-")
    actions = next(p for p in planned if p.name == "actions")
    assert serve_actions(tmp_path, dict(actions.env), drop=("SANIC_HOST",)) == {"127.0.0.1"}


@pytest.mark.actions
def test_without_the_setting_rasa_sdk_would_listen_everywhere(tmp_path: Path) -> None:
    # The control: what the previous `run` did, so the test above can tell the two apart.
    assert serve_actions(tmp_path, {}, drop=("SANIC_HOST",)) == {"0.0.0.0"}


def test_an_operator_may_choose_the_interface() -> None:
    def planned(host: str) -> tuple[str, str]:
        settings = Settings.from_mapping({"ACTION_SERVER_HOST": host, "ACTION_SERVER_PORT": "6000",
                                          "RASA_WORKERS": "1"})
        actions = next(p for p in planned_processes(settings, "-")[0] if p.name == "actions")
        return actions.env["SANIC_HOST"], settings.action_endpoint_url

    assert planned("") == ("127.0.0.1", "http://127.0.0.1:6000/webhook")
    assert planned("10.0.0.5") == ("10.0.0.5", "http://10.0.0.5:6000/webhook")
    assert planned("0.0.0.0") == ("0.0.0.0", "http://127.0.0.1:6000/webhook")  # reached over loopback
    assert planned("::1") == ("::1", "http://[::1]:6000/webhook")


@pytest.mark.actions
def test_only_calls_with_the_token_are_answered(tmp_path: Path) -> None:
    token = "t" * 32
    with action_server(tmp_path, {"ACTION_SERVER_TOKEN": token}) as port:
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/health").status_code == 200  # what the supervisor polls
        assert httpx.get(f"{base}/actions").status_code == 401
        assert httpx.get(f"{base}/actions", headers={TOKEN_HEADER: "x" * 32}).status_code == 401
        call = {"next_action": "action_submit_request", "sender_id": "intruder", "tracker": {}, "domain": {}}
        refused = httpx.post(f"{base}/webhook", json=call)
        assert refused.status_code == 401 and "only the assistant" in refused.json()["error"]
        listed = httpx.get(f"{base}/actions", headers={TOKEN_HEADER: token})
        assert listed.status_code == 200 and "action_submit_request" in {a["name"] for a in listed.json()}


@pytest.mark.actions
def test_without_a_token_the_action_server_refuses_everything(tmp_path: Path) -> None:
    with action_server(tmp_path, {}, drop=("ACTION_SERVER_TOKEN",)) as port:
        answer = httpx.get(f"http://127.0.0.1:{port}/actions", headers={TOKEN_HEADER: ""})
        assert answer.status_code == 503


def test_run_gives_the_token_to_rasa_and_the_action_server_only() -> None:
    processes, _ = planned_processes(Settings.from_mapping({"RASA_WORKERS": "2"}), "-",
                                     InternalSecrets(action_token="secret-token", api_token="api-token",
                                                     lock_password="lock"))
    holders = {p.name for p in processes if p.env.get("ACTION_SERVER_TOKEN") == "secret-token"}
    assert holders == {"rasa-1", "rasa-2", "actions"}
    assert {p.name for p in processes if "api-token" in p.command} == {"rasa-1", "rasa-2"}
    endpoints = (PROJECT_ROOT / "bot" / "endpoints.yml").read_text(encoding="utf-8")
    assert f"{TOKEN_HEADER}: ${{ACTION_SERVER_TOKEN}}" in endpoints
