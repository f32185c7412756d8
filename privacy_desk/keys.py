"""The installation's secret key (HMAC of one-time codes, session cookies): SECRET_KEY, or a file made once."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from privacy_desk.settings import Settings


def secret_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: when two processes start together, one writes and the other reads what it wrote.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return Path(path).read_text(encoding="ascii").strip().encode()


def _derived(settings: Settings, purpose: bytes) -> str:
    # Derived from the secret key, so every process of an installation (on any machine with the same SECRET_KEY)
    # agrees on it without another setting; one per purpose, so one leaked token opens nothing else.
    return hmac.new(secret_key(settings), b"privacy-desk " + purpose, hashlib.sha256).hexdigest()


def action_server_token(settings: Settings) -> str:
    """The token Rasa shows the action server."""
    return _derived(settings, b"action server")


def rasa_api_token(settings: Settings) -> str:
    """The token Rasa's HTTP API (parse, trackers, model) asks of its callers: the mail poller and the CLI."""
    return _derived(settings, b"rasa api")


def lock_store_password(settings: Settings) -> str:
    """The password of the Redis that `run` starts for Rasa's lock store."""
    return _derived(settings, b"lock store")
