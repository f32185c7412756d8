"""The installation's secret key (HMAC of one-time codes, session cookies): SECRET_KEY, or a file made once."""

from __future__ import annotations

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
