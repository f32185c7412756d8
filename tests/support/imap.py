"""A real Dovecot IMAP server on loopback (Debian's dovecot-imapd), one per test session or benchmark."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import imaplib2

from desk_app.rasa import free_port

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/run/state
log_path = {root}/log/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
default_internal_group = dovecot
mail_max_userip_connections = 50
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%u
}}
first_valid_uid = 100
"""


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str

    def client(self) -> imaplib2.IMAP4:
        connection = imaplib2.IMAP4(self.host, self.port, timeout=30)
        connection.login(self.user, self.password)
        return connection

    def new_mailbox(self, prefix: str) -> str:
        """A fresh mailbox of a unique name: each test module its own, as each has its own database."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        connection = self.client()
        try:
            typ, data = connection.create(name)
            assert typ == "OK", data
        finally:
            connection.logout()
        return name

    def env(self, mailbox: str, idle_seconds: int = 2) -> dict[str, str]:
        """The settings that point the poller at this server and mailbox."""
        return {"IMAP_HOST": self.host, "IMAP_PORT": str(self.port), "IMAP_TLS": "false", "IMAP_USER": self.user,
                "IMAP_PASSWORD": self.password, "IMAP_MAILBOX": mailbox, "IMAP_IDLE_SECONDS": str(idle_seconds)}

    def append(self, raw: bytes, mailbox: str = "INBOX") -> None:
        connection = self.client()
        try:
            typ, data = connection.append(mailbox, None, None, raw)
            assert typ == "OK", data
        finally:
            connection.logout()

    def flagged(self, flag: str, mailbox: str = "INBOX") -> list[int]:
        connection = self.client()
        try:
            connection.select(mailbox)
            _typ, data = connection.uid("SEARCH", None, f"KEYWORD {flag}" if flag.startswith("$") else flag)
            return sorted(int(u) for u in (data[0] or b"").split())
        finally:
            connection.logout()


@contextmanager
def imap_server(user: str = "support", password: str = "secret") -> Iterator[ImapServer]:
    root = Path(tempfile.mkdtemp(prefix="privacy-desk-imap-"))
    for sub in ("run", "log", "mail"):
        (root / sub).mkdir()
    shutil.chown(root / "mail", "nobody", "nogroup")
    root.chmod(0o755)
    (root / "users").write_text(f"{user}:{{PLAIN}}{password}\n")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port))
    # The daemon keeps inherited pipes open, so its output goes to a file, not to a pipe we would wait on.
    with open(root / "log" / "start.log", "wb") as out:
        subprocess.run(["dovecot", "-c", str(config)], check=True, stdout=out, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL)
    server = ImapServer("127.0.0.1", port, user, password)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                server.client().logout()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield server
    finally:
        pid_file = root / "run" / "master.pid"
        if pid_file.exists():
            subprocess.run(["kill", pid_file.read_text().strip()], capture_output=True)
            time.sleep(0.3)
        shutil.rmtree(root, ignore_errors=True)
