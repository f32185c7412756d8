"""Deployment settings: read once from the environment and `.env` (python-dotenv); every default works bare."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from privacy_desk.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r} is not a whole number") from None


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{key}={raw!r} is not true or false")


@dataclass(frozen=True)
class Settings:
    """Everything a deployment may change. Business rules live in policy packs, not here."""

    privacy_policy: str
    database_url: str
    data_dir: Path
    rasa_url: str
    action_server_host: str
    action_server_port: int
    chat_port: int
    web_port: int
    trusted_proxies: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_user: str
    smtp_password: str
    mail_from: str
    mail_aliases: tuple[str, ...]
    imap_host: str
    imap_port: int
    imap_tls: bool
    imap_user: str
    imap_password: str
    imap_mailbox: str
    imap_idle_seconds: int
    imap_poll_seconds: int
    secret_key: str

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        data_dir = Path(env.get("PRIVACY_DESK_DATA", "") or PROJECT_ROOT / "var")
        smtp_security = (env.get("SMTP_SECURITY", "") or "none").lower()
        if smtp_security not in {"none", "starttls", "ssl"}:
            raise ConfigError(f"SMTP_SECURITY={smtp_security!r} must be none, starttls or ssl")
        return cls(
            privacy_policy=env.get("PRIVACY_POLICY", "") or "itosoft",
            database_url=env.get("DATABASE_URL", "") or f"sqlite:///{data_dir / 'privacy-desk.db'}",
            data_dir=data_dir,
            rasa_url=(env.get("RASA_URL", "") or "http://127.0.0.1:5005").rstrip("/"),
            # Only Rasa calls the action server: it listens on loopback unless told otherwise.
            action_server_host=env.get("ACTION_SERVER_HOST", "") or "127.0.0.1",
            action_server_port=_int(env, "ACTION_SERVER_PORT", 5055),
            chat_port=_int(env, "CHAT_PORT", 8080),
            web_port=_int(env, "WEB_PORT", 8081),
            # A TLS proxy at these addresses may say the browser came over HTTPS (then cookies are Secure).
            trusted_proxies=env.get("TRUSTED_PROXIES", "") or "127.0.0.1",
            smtp_host=env.get("SMTP_HOST", "") or "127.0.0.1",
            smtp_port=_int(env, "SMTP_PORT", 8025),
            smtp_security=smtp_security,
            smtp_user=env.get("SMTP_USER", ""),
            smtp_password=env.get("SMTP_PASSWORD", ""),
            mail_from=env.get("MAIL_FROM", "") or "privacy-desk@localhost",
            mail_aliases=tuple(a for a in re.split(r"[\s,]+", env.get("MAIL_ALIASES", "").lower()) if a),
            imap_host=env.get("IMAP_HOST", ""),
            imap_port=_int(env, "IMAP_PORT", 993),
            imap_tls=_bool(env, "IMAP_TLS", True),
            imap_user=env.get("IMAP_USER", ""),
            imap_password=env.get("IMAP_PASSWORD", ""),
            imap_mailbox=env.get("IMAP_MAILBOX", "") or "INBOX",
            imap_idle_seconds=_int(env, "IMAP_IDLE_SECONDS", 60),
            imap_poll_seconds=_int(env, "IMAP_POLL_SECONDS", 30),
            secret_key=env.get("SECRET_KEY", ""),
        )

    @property
    def action_endpoint_url(self) -> str:
        """Where Rasa calls the action server (a wildcard listen address is reached over loopback)."""
        host = "127.0.0.1" if self.action_server_host in {"0.0.0.0", "::"} else self.action_server_host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.action_server_port}/webhook"


def load_settings(env_file: Path | None = None) -> Settings:
    """Settings from the process environment over `.env` (the environment wins, as deployments expect)."""
    path = env_file or Path(os.environ.get("PRIVACY_DESK_ENV_FILE", "") or PROJECT_ROOT / ".env")
    values: dict[str, str] = {k: v or "" for k, v in dotenv_values(path).items()} if path.is_file() else {}
    values.update(os.environ)
    return Settings.from_mapping(values)
