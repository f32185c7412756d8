"""Staff accounts and their signed-in sessions.

Passwords are kept as argon2id hashes (argon2-cffi). Repeated failed sign-ins lock the account for a while. A
session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, so a copy of the database
does not let anyone in, and signing out deletes it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from privacy_desk.errors import N_, PrivacyDeskError
from privacy_desk.messages import Clock, utcnow
from privacy_desk.models import StaffSession, StaffUser
from privacy_desk.tickets import add_event

MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
LOCKOUT_MINUTES = int(LOCKOUT.total_seconds() // 60)
SESSION_LIFETIME = timedelta(hours=10)  # one working day
IDLE_TIMEOUT = timedelta(hours=1)
MIN_PASSWORD_LENGTH = 12
# What a refused sign-in tells the person (msgids of the staff app's catalogue; LOCKED takes {minutes}).
WRONG_CREDENTIALS = N_("Wrong username or password.")
LOCKED = N_("Too many failed sign-ins: this account is locked for {minutes} minutes. An admin can unlock it.")
# The languages the staff app speaks; an account's locale is one of them or None (the browser chooses).
STAFF_LOCALES = ("en", "ja")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.


@cache
def _dummy_hash() -> str:
    # Made on first use, not at import: every command would otherwise pay for an argon2 hash it never needs.
    return _hasher.hash(secrets.token_hex(16))


class Role(StrEnum):
    STAFF = "staff"
    ADMIN = "admin"


class AccountError(PrivacyDeskError):
    """An account cannot be created or changed as asked."""


# -- pure decisions ----------------------------------------------------------------------------------------

def is_locked(user: StaffUser, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def after_failed_sign_in(failed_before: int, now: datetime) -> tuple[int, datetime | None]:
    """The failure count after one more failure, and until when the account is locked (None: not locked)."""
    failed = failed_before + 1
    return (0, now + LOCKOUT) if failed >= MAX_FAILED_SIGN_INS else (failed, None)


def session_expired(row: StaffSession, now: datetime) -> bool:
    return row.expires_at <= now or row.last_seen_at + IDLE_TIMEOUT <= now


def password_problem(password: str, username: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if username.lower() in password.lower():
        return "a password must not contain the username"
    return None


def checked_staff_email(value: str) -> str | None:
    """A member's address as stored (normalised), None for an empty one; refuses one that is not an address."""
    value = value.strip()
    if not value:
        return None
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise AccountError(N_("{value!r} is not an email address: {problem}"), value=value, problem=exc) from None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- the store ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in attempt: a session token on success, else the reason shown to the person."""

    user: StaffUser | None
    token: str | None = None
    problem: str | None = None

    @property
    def problem_msgid(self) -> str | None:
        """The problem as the staff app's catalogue knows it (LOCKED still taking its {minutes})."""
        if self.problem is None or self.problem == WRONG_CREDENTIALS:
            return self.problem
        return LOCKED


class StaffAccounts:
    """Accounts and sessions. Like TicketService it never commits: the caller owns the transaction."""

    def __init__(self, session: Session, clock: Clock = utcnow) -> None:
        self.session = session
        self.clock = clock

    def add(self, username: str, display_name: str, password: str, role: Role) -> StaffUser:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise AccountError(f"username {username!r}: use 2-64 lowercase letters, digits, '.', '_' or '-'")
        problem = password_problem(password, username)
        if problem:
            raise AccountError(problem)
        if self.find(username) is not None:
            raise AccountError(f"there is already an account {username!r}")
        user = StaffUser(username=username, display_name=display_name.strip() or username, role=role.value,
                         password_hash=_hasher.hash(password), failed_logins=0, active=True,
                         created_at=self.clock())
        self.session.add(user)
        self.session.flush()
        self._audit(username, "staff_added", {"role": role.value})
        return user

    def find(self, username: str) -> StaffUser | None:
        return self.session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))

    def all(self) -> list[StaffUser]:
        return list(self.session.scalars(select(StaffUser).order_by(StaffUser.username)))

    def unlock(self, username: str, actor: str) -> None:
        user = self._get(username)
        user.locked_until = None
        user.failed_logins = 0
        self._audit(actor, "staff_unlocked", {"staff": user.username})

    def set_active(self, username: str, active: bool, actor: str) -> None:
        user = self._get(username)
        user.active = active
        if not active:
            self.session.execute(delete(StaffSession).where(StaffSession.staff_id == user.id))
        self._audit(actor, "staff_enabled" if active else "staff_disabled", {"staff": user.username})

    def set_notifications(self, username: str, actor: str, *, email: str | None = None,
                          wants_digest: bool | None = None, wants_new_ticket_notice: bool | None = None) -> StaffUser:
        """Change a member's staff-mail address (an empty one removes it) and choices; None leaves a value as is."""
        user = self._get(username)
        if email is not None:
            user.email = checked_staff_email(email)
        if wants_digest is not None:
            user.wants_digest = wants_digest
        if wants_new_ticket_notice is not None:
            user.wants_new_ticket_notice = wants_new_ticket_notice
        # Which settings, not the address: the audit log holds no personal values.
        self._audit(actor, "staff_notifications", {"staff": user.username, "has_email": user.email is not None,
                                                   "digest": user.wants_digest,
                                                   "new_ticket_notice": user.wants_new_ticket_notice})
        return user

    def set_locale(self, username: str, locale: str | None, actor: str) -> None:
        """The member's language for the staff app; None: whatever their browser asks for."""
        if locale is not None and locale not in STAFF_LOCALES:
            raise AccountError(N_("unknown language {locale!r}: choose one of {choices}"), locale=locale,
                               choices=", ".join(STAFF_LOCALES))
        user = self._get(username)
        user.locale = locale
        self._audit(actor, "staff_language_set", {"staff": user.username, "locale": locale})

    def sign_in(self, username: str, password: str) -> SignIn:
        now = self.clock()
        user = self.find(username)
        if user is None or not user.active:
            _verify(_dummy_hash(), password)
            self._audit("anonymous", "sign_in_failed", {"reason": "unknown or disabled account"})
            return SignIn(None, problem=WRONG_CREDENTIALS)
        if is_locked(user, now):
            self._audit(user.username, "sign_in_refused", {"reason": "locked"})
            return SignIn(None, problem=_locked_message())
        if not _verify(user.password_hash, password):
            user.failed_logins, user.locked_until = after_failed_sign_in(user.failed_logins, now)
            locked = user.locked_until is not None
            self._audit(user.username, "account_locked" if locked else "sign_in_failed", {})
            return SignIn(None, problem=_locked_message() if locked else WRONG_CREDENTIALS)
        user.failed_logins = 0
        user.last_login_at = now
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        token = secrets.token_urlsafe(32)
        self.session.add(StaffSession(token_hash=token_hash(token), staff_id=user.id,
                                      csrf_token=secrets.token_urlsafe(32), created_at=now, last_seen_at=now,
                                      expires_at=now + SESSION_LIFETIME))
        self._audit(user.username, "signed_in", {})
        return SignIn(user, token=token)

    def session_for(self, token: str | None) -> StaffSession | None:
        """The live session for a cookie's token (refreshing its idle clock), or None."""
        if not token:
            return None
        row = self.session.get(StaffSession, token_hash(token))
        now = self.clock()
        if row is None:
            return None
        if session_expired(row, now) or not row.staff.active:
            self.session.delete(row)
            return None
        row.last_seen_at = now
        return row

    def sign_out(self, token: str | None) -> None:
        if not token:
            return
        row = self.session.get(StaffSession, token_hash(token))
        if row is not None:
            self._audit(row.staff.username, "signed_out", {})
            self.session.delete(row)

    def purge_expired_sessions(self) -> int:
        now = self.clock()
        stale = [row for row in self.session.scalars(select(StaffSession)) if session_expired(row, now)]
        for row in stale:
            self.session.delete(row)
        return len(stale)

    def _get(self, username: str) -> StaffUser:
        user = self.find(username)
        if user is None:
            raise AccountError(N_("no staff account {username!r}"), username=username)
        return user

    def _audit(self, actor: str, action: str, details: dict[str, Any]) -> None:
        add_event(self.session, None, actor, action, details, self.clock())


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _locked_message() -> str:
    return LOCKED.format(minutes=LOCKOUT_MINUTES)
