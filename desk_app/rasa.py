"""Rasa from the app's side: the trained model (cached by a fingerprint of its inputs) and the server process.

The app never imports rasa: it runs `.venv-rasa/bin/rasa` as a subprocess and talks to it over HTTP.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from privacy_desk.errors import PrivacyDeskError
from privacy_desk.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

RASA_VENV = PROJECT_ROOT / ".venv-rasa"
TRAINING_INPUTS = ["config.yml", "bot/domain.yml", "bot/data", "intents", "bot/tokenizer.py",
                   "bot/lexical_classifier.py", "bot/negation.py", "bot/concepts.py",
                   "bot/rasa-requirements.lock", "bot/rasa-extra.txt"]


class RasaError(PrivacyDeskError):
    """Rasa could not be trained, started or reached."""


def cache_dir() -> Path:
    return Path(os.environ.get("PRIVACY_DESK_CACHE", "") or Path.home() / ".cache" / "privacy-desk")


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    """A hash of everything a model is trained from: same inputs, same model, no retraining."""
    digest = hashlib.sha256()
    for entry in TRAINING_INPUTS:
        path = root / entry
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.suffix in {".pyc"} or not file.exists():
                continue
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(RASA_TELEMETRY_ENABLED="false", PYTHONPATH=str(PROJECT_ROOT), TF_CPP_MIN_LOG_LEVEL="2",
               RASA_CACHE_DIRECTORY=str(cache_dir() / "rasa-train-cache"))
    env.setdefault("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    # endpoints.yml names it; a server started without one (NLU only) sends a token no action server accepts.
    env.setdefault("ACTION_SERVER_TOKEN", secrets.token_hex(16))
    # A server started without stores (NLU only) keeps conversations in memory: nothing written anywhere.
    for key, value in store_env("sqlite://", "").items():
        env.setdefault(key, value)
    return env


REDIS_LOCK_STORE = "bot.conversation_store.ConversationLockStore"


def store_env(tracker_store_url: str, lock_store_url: str, lock_password: str = "") -> dict[str, str]:
    """What bot/endpoints.yml reads: where conversations are kept, and the lock that keeps the turns of one
    conversation in order across Rasa processes (Redis; in memory when there is one process)."""
    env = {"TRACKER_STORE_URL": tracker_store_url, "LOCK_STORE_TYPE": "in_memory", "LOCK_STORE_HOST": "",
           "LOCK_STORE_PORT": "", "LOCK_STORE_DB": "", "LOCK_STORE_PASSWORD": ""}
    if lock_store_url:
        url = urlsplit(lock_store_url)
        # Rasa's Redis lock store, with its ticket changes made atomic across processes (bot/conversation_store.py).
        env.update(LOCK_STORE_TYPE=REDIS_LOCK_STORE, LOCK_STORE_HOST=url.hostname or "127.0.0.1",
                   LOCK_STORE_PORT=str(url.port or 6379), LOCK_STORE_DB=url.path.strip("/") or "0",
                   LOCK_STORE_PASSWORD=url.password or lock_password)
    return env


def _rasa_bin() -> Path:
    binary = RASA_VENV / "bin" / "rasa"
    if not binary.exists():
        raise RasaError(f"Rasa is not installed at {RASA_VENV}; run scripts/setup.sh rasa (or make setup)")
    return binary


def ensure_model(quiet: bool = True) -> Path:
    """The trained model for the current inputs, training it once if no cached one exists."""
    models = cache_dir() / "models"
    model = models / f"privacy-desk-{fingerprint()}.tar.gz"
    if model.exists():
        return model
    models.mkdir(parents=True, exist_ok=True)
    log.info("training the Rasa model (inputs changed or no cached model); this takes a few minutes")
    with tempfile.TemporaryDirectory(dir=models) as out:
        command = [str(_rasa_bin()), "train", "--config", "config.yml", "--domain", "bot/domain.yml",
                   "--data", "intents", "bot/data", "--out", out, "--fixed-model-name", "model"]
        result = subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_env(), capture_output=quiet, text=True)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout or "")[-3000:] if quiet else ""
            raise RasaError(f"rasa train failed (exit {result.returncode}){': ' + tail if tail else ''}")
        # Rename into place last, so a half-trained model is never taken for a cached one.
        os.replace(Path(out) / "model.tar.gz", model)
    return model


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_up(url: str, timeout: float = 2.0, token: str = "") -> bool:
    """Rasa answers and has its model loaded (/status; with the API token where it asks for one)."""
    try:
        response = httpx.get(f"{url}/status", params={"token": token} if token else None, timeout=timeout)
        return response.status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class RasaServer:
    url: str
    process: subprocess.Popen[bytes] | None
    api_token: str = ""


def server_command(model: str | Path, port: int, api_token: str, host: str = "127.0.0.1") -> list[str]:
    """`rasa run` with the HTTP API on, behind the token (the chat webhooks it serves take no token). No CORS:
    browsers reach Rasa only through the chat page, never from another origin."""
    command = [str(RASA_VENV / "bin" / "rasa"), "run", "--enable-api", "--model", str(model),
               "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml", "--interface", host,
               "--port", str(port)]
    return [*command, "--auth-token", api_token] if api_token else command


@contextmanager
def rasa_server(port: int, action_url: str | None = None, startup_timeout: float = 240.0,
                log_file: Path | None = None, action_token: str | None = None, api_token: str = "",
                stores: Mapping[str, str] | None = None) -> Iterator[RasaServer]:
    """Start `rasa run` on loopback with the current model; stop it on exit.

    `stores`: store_env() for the conversations (default: in memory, for NLU-only servers)."""
    model = ensure_model()
    _rasa_bin()
    env = {**rasa_env(), **(stores or {})}
    if action_url:
        env["ACTION_ENDPOINT_URL"] = action_url
    if action_token:
        env["ACTION_SERVER_TOKEN"] = action_token
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(server_command(model, port, api_token), cwd=PROJECT_ROOT, env=env, stdout=out,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while not is_up(url, token=api_token):
            if process.poll() is not None:
                raise RasaError(f"rasa run exited with {process.returncode} before it answered")
            if time.monotonic() > deadline:
                raise RasaError(f"rasa run did not answer on {url} within {startup_timeout:.0f} s")
            time.sleep(0.5)
        yield RasaServer(url, process, api_token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if log_file:
            out.close()  # type: ignore[union-attr]

