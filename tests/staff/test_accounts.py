"""Staff accounts: argon2 hashes, lockout, sessions that expire and end, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from privacy_desk.db import transaction
from privacy_desk.models import Event, StaffSession, StaffUser
from privacy_desk.staff import (
    IDLE_TIMEOUT,
    LOCKOUT,
    MAX_FAILED_SIGN_INS,
    AccountError,
    Role,
    StaffAccounts,
    after_failed_sign_in,
    password_problem,
    token_hash,
)
from tests.staff.conftest import PASSWORD
from tests.support.clock import Clock


def test_password_is_stored_as_argon2id(sessions: sessionmaker[Session], clock: Clock) -> None:
    with transaction(sessions) as session:
        StaffAccounts(session, clock).add("Alice", "Alice A.", PASSWORD, Role.ADMIN)
    with sessions() as session:
        user = session.scalar(select(StaffUser))
        assert user is not None and user.username == "alice" and user.role == "admin"
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(("username", "password", "problem"), [
    ("carol", "short", "at least 12"),
    ("carol", "carol-is-my-password", "must not contain the username"),
    ("Bad Name!", PASSWORD, "username"),
])
def test_weak_passwords_and_bad_names_are_refused(sessions: sessionmaker[Session], username: str, password: str,
                                                  problem: str) -> None:
    with pytest.raises(AccountError, match=problem), transaction(sessions) as session:
        StaffAccounts(session).add(username, "", password, Role.STAFF)


def test_duplicate_account_is_refused(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        StaffAccounts(session).add("dave", "", PASSWORD, Role.STAFF)
    with pytest.raises(AccountError, match="already"), transaction(sessions) as session:
        StaffAccounts(session).add("Dave", "", PASSWORD, Role.STAFF)


def test_lockout_after_repeated_failures_then_unlock(sessions: sessionmaker[Session], clock: Clock) -> None:
    with transaction(sessions) as session:
        StaffAccounts(session, clock).add("erin", "", PASSWORD, Role.STAFF)
    for attempt in range(MAX_FAILED_SIGN_INS):
        with transaction(sessions) as session:
            result = StaffAccounts(session, clock).sign_in("erin", f"wrong password {attempt}")
        assert result.token is None
    with transaction(sessions) as session:
        result = StaffAccounts(session, clock).sign_in("erin", PASSWORD)
    assert result.token is None and "locked" in (result.problem or "")
    clock.now += LOCKOUT + timedelta(seconds=1)
    with transaction(sessions) as session:
        assert StaffAccounts(session, clock).sign_in("erin", PASSWORD).token is not None
    # An admin can lift a lockout early.
    for attempt in range(MAX_FAILED_SIGN_INS):
        with transaction(sessions) as session:
            StaffAccounts(session, clock).sign_in("erin", f"wrong {attempt}")
    with transaction(sessions) as session:
        StaffAccounts(session, clock).unlock("erin", actor="alice")
    with transaction(sessions) as session:
        assert StaffAccounts(session, clock).sign_in("erin", PASSWORD).token is not None
    with sessions() as session:
        actions = [e.action for e in session.scalars(select(Event).order_by(Event.id))]
    assert actions.count("account_locked") == 2 and "sign_in_refused" in actions and "staff_unlocked" in actions


def test_failure_count_is_pure() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert after_failed_sign_in(0, now) == (1, None)
    assert after_failed_sign_in(MAX_FAILED_SIGN_INS - 1, now) == (0, now + LOCKOUT)
    assert password_problem(PASSWORD, "alice") is None


def test_sessions_end_on_sign_out_idle_and_disable(sessions: sessionmaker[Session], clock: Clock) -> None:
    with transaction(sessions) as session:
        StaffAccounts(session, clock).add("frank", "", PASSWORD, Role.STAFF)
    with transaction(sessions) as session:
        token = StaffAccounts(session, clock).sign_in("frank", PASSWORD).token
    with transaction(sessions) as session:
        stored = session.scalar(select(StaffSession))
        assert stored is not None and stored.token_hash == token_hash(token or "") and stored.token_hash != token
        assert StaffAccounts(session, clock).session_for(token) is not None
    with transaction(sessions) as session:
        StaffAccounts(session, clock).sign_out(token)
    with transaction(sessions) as session:
        assert StaffAccounts(session, clock).session_for(token) is None

    with transaction(sessions) as session:
        token = StaffAccounts(session, clock).sign_in("frank", PASSWORD).token
    clock.now += IDLE_TIMEOUT
    with transaction(sessions) as session:
        assert StaffAccounts(session, clock).session_for(token) is None

    with transaction(sessions) as session:
        token = StaffAccounts(session, clock).sign_in("frank", PASSWORD).token
    with transaction(sessions) as session:
        StaffAccounts(session, clock).set_active("frank", False, actor="alice")
    with transaction(sessions) as session:
        assert StaffAccounts(session, clock).session_for(token) is None
        assert StaffAccounts(session, clock).sign_in("frank", PASSWORD).token is None


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        StaffAccounts(session).add("gina", "", PASSWORD, Role.STAFF)
    with transaction(sessions) as session:
        unknown = StaffAccounts(session).sign_in("nobody", PASSWORD)
        wrong = StaffAccounts(session).sign_in("gina", "not the password")
    assert unknown.problem == wrong.problem == "Wrong username or password."
