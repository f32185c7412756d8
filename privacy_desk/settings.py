"""Deployment settings: read once from the environment and `.env` (python-dotenv); every default works bare."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from privacy_desk.attachments import DEFAULT_MAIL_MAX_BYTES, DEFAULT_MAX_BYTES, AttachmentLimits
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
    rasa_host: str
    rasa_workers: int
    rasa_urls: tuple[str, ...]
    redis_url: str
    redis_port: int
    tracker_store_url: str
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
    attachment_limits: AttachmentLimits
    staff_digest_days: int = 3
    staff_digest_hour: int = 8
    staff_app_url: str = "http://127.0.0.1:8081"

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        data_dir = Path(env.get("PRIVACY_DESK_DATA", "") or PROJECT_ROOT / "var")
        smtp_security = (env.get("SMTP_SECURITY", "") or "none").lower()
        if smtp_security not in {"none", "starttls", "ssl"}:
            raise ConfigError(f"SMTP_SECURITY={smtp_security!r} must be none, starttls or ssl")
        database_url = env.get("DATABASE_URL", "") or f"sqlite:///{data_dir / 'privacy-desk.db'}"
        rasa_url = (env.get("RASA_URL", "") or "http://127.0.0.1:5005").rstrip("/")
        rasa_workers = _int(env, "RASA_WORKERS", default_rasa_workers())
        if rasa_workers < 1:
            raise ConfigError(f"RASA_WORKERS={rasa_workers} must be at least 1")
        max_file = _int(env, "ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)
        max_mail = _int(env, "ATTACHMENT_MAIL_MAX_BYTES", DEFAULT_MAIL_MAX_BYTES)
        if max_file < 1 or max_mail < 1:
            raise ConfigError(f"ATTACHMENT_MAX_BYTES={max_file} and ATTACHMENT_MAIL_MAX_BYTES={max_mail} must be "
                              "at least 1")
        listed = tuple(u.rstrip("/") for u in re.split(r"[\s,]+", env.get("RASA_URLS", "")) if u)
        digest_days = _int(env, "STAFF_DIGEST_DAYS", 3)
        if not 1 <= digest_days <= 60:
            raise ConfigError(f"STAFF_DIGEST_DAYS={digest_days} must be between 1 and 60 business days")
        digest_hour = _int(env, "STAFF_DIGEST_HOUR", 8)
        if not 0 <= digest_hour <= 23:
            raise ConfigError(f"STAFF_DIGEST_HOUR={digest_hour} must be an hour from 0 to 23")
        web_port = _int(env, "WEB_PORT", 8081)
        return cls(
            privacy_policy=env.get("PRIVACY_POLICY", "") or "itosoft",
            database_url=database_url,
            data_dir=data_dir,
            rasa_url=rasa_url,
            # Rasa's API and webhook are for this machine's processes unless told otherwise (several machines).
            rasa_host=env.get("RASA_HOST", "") or "127.0.0.1",
            rasa_workers=rasa_workers,
            # Where the chat page sends turns: RASA_URLS (other machines), else the local workers, one port each.
            rasa_urls=listed or _consecutive_ports(rasa_url, rasa_workers),
            redis_url=env.get("REDIS_URL", ""),
            redis_port=_int(env, "REDIS_PORT", 6380),
            # Conversations live in the app's database unless told otherwise (Rasa's table is "events").
            tracker_store_url=env.get("TRACKER_STORE_URL", "") or tracker_store_url_for(database_url),
            # Only Rasa calls the action server: it listens on loopback unless told otherwise.
            action_server_host=env.get("ACTION_SERVER_HOST", "") or "127.0.0.1",
            action_server_port=_int(env, "ACTION_SERVER_PORT", 5055),
            chat_port=_int(env, "CHAT_PORT", 8080),
            web_port=web_port,
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
            attachment_limits=AttachmentLimits(max_file, max_mail, env.get("ATTACHMENT_OTHER_WAY", "").strip()),
            # Staff mail: overdue tickets and those due within this many business days, at this hour of the
            # company's day (the pack's time zone); links point at the staff app here.
            staff_digest_days=digest_days,
            staff_digest_hour=digest_hour,
            staff_app_url=(env.get("STAFF_APP_URL", "") or f"http://127.0.0.1:{web_port}").rstrip("/"),
        )

    @property
    def local_rasa_urls(self) -> tuple[str, ...]:
        """The Rasa processes `run` starts here: RASA_WORKERS of them, from RASA_URL's port up."""
        return _consecutive_ports(self.rasa_url, self.rasa_workers)

    @property
    def lock_store_url(self) -> str:
        """Redis for Rasa's lock store when several processes serve the chat; empty for the in-memory one."""
        if self.redis_url:
            return self.redis_url
        return f"redis://127.0.0.1:{self.redis_port}/0" if self.rasa_workers > 1 else ""

    @property
    def starts_redis(self) -> bool:
        """`run` starts its own Redis on loopback when several local workers need one and none is named."""
        return self.rasa_workers > 1 and not self.redis_url

    @property
    def action_endpoint_url(self) -> str:
        """Where Rasa calls the action server (a wildcard listen address is reached over loopback)."""
        host = "127.0.0.1" if self.action_server_host in {"0.0.0.0", "::"} else self.action_server_host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.action_server_port}/webhook"


def default_rasa_workers() -> int:
    """One Rasa process per core, at most four: a turn is CPU-bound in one process, so on two cores two processes
    cut the turn p95 under load by a third, and a third process only adds contention (bench/chat_latency.py)."""
    return max(1, min(4, os.cpu_count() or 1))


def _consecutive_ports(url: str, count: int) -> tuple[str, ...]:
    base, _, port = url.rpartition(":")
    if not port.isdigit():
        raise ConfigError(f"RASA_URL={url!r} must end in a port number (http://127.0.0.1:5005)")
    return tuple(f"{base}:{int(port) + i}" for i in range(count))


def tracker_store_url_for(database_url: str) -> str:
    """The app's database as Rasa's SQLAlchemy 1.4 reaches it: Rasa's virtualenv has psycopg2, not psycopg 3."""
    scheme, sep, rest = database_url.partition("://")
    if scheme.startswith("postgresql"):
        return f"postgresql://{rest}"
    return f"{scheme.split('+')[0]}{sep}{rest}"


def load_settings(env_file: Path | None = None) -> Settings:
    """Settings from the process environment over `.env` (the environment wins, as deployments expect)."""
    path = env_file or Path(os.environ.get("PRIVACY_DESK_ENV_FILE", "") or PROJECT_ROOT / ".env")
    values: dict[str, str] = {k: v or "" for k, v in dotenv_values(path).items()} if path.is_file() else {}
    values.update(os.environ)
    return Settings.from_mapping(values)
