"""The lifecycle table: pinned, so a change to it is a deliberate one."""

import pytest

from privacy_desk.errors import IllegalTransition
from privacy_desk.status import ACTIVE_STATUSES, ALLOWED_TRANSITIONS, TicketStatus, check_transition

S = TicketStatus


def test_every_status_has_a_row_and_closed_is_final() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(TicketStatus)
    assert ALLOWED_TRANSITIONS[S.CLOSED] == frozenset()
    assert {S.AWAITING_DETAILS, S.AWAITING_VERIFICATION, S.OPEN, S.IN_PROGRESS} == ACTIVE_STATUSES


@pytest.mark.parametrize(("current", "new"), [
    (S.AWAITING_DETAILS, S.AWAITING_VERIFICATION), (S.AWAITING_VERIFICATION, S.OPEN), (S.OPEN, S.IN_PROGRESS),
    (S.IN_PROGRESS, S.RESOLVED), (S.IN_PROGRESS, S.REJECTED), (S.RESOLVED, S.CLOSED), (S.REJECTED, S.CLOSED),
    (S.OPEN, S.AWAITING_DETAILS), (S.RESOLVED, S.IN_PROGRESS),
])
def test_allowed_moves(current: TicketStatus, new: TicketStatus) -> None:
    check_transition(current, new)


@pytest.mark.parametrize(("current", "new"), [
    (S.CLOSED, S.OPEN), (S.REJECTED, S.OPEN), (S.RESOLVED, S.REJECTED), (S.AWAITING_DETAILS, S.RESOLVED),
    (S.AWAITING_VERIFICATION, S.IN_PROGRESS), (S.OPEN, S.CLOSED), (S.OPEN, S.OPEN),
])
def test_illegal_moves_raise_a_clear_error(current: TicketStatus, new: TicketStatus) -> None:
    with pytest.raises(IllegalTransition, match=f"status {current} cannot move to {new}; allowed: "):
        check_transition(current, new)
