"""A throwaway Redis on loopback (Debian's redis-server), with a password, for Rasa's lock store."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desk_app.rasa import free_port


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """Start redis-server; yield its URL (redis://:password@127.0.0.1:port/0)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run scripts/setup.sh system")
    port, password = free_port(), secrets.token_hex(12)
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
               "--requirepass", password, "--dir", str(workdir)]
    with open(workdir / "redis.log", "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start (see {workdir / 'redis.log'})") from None
                time.sleep(0.1)
        yield f"redis://:{password}@127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
