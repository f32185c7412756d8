"""A ticket's lifecycle as data: the statuses and the moves allowed between them."""

from __future__ import annotations

from enum import StrEnum

from privacy_desk.errors import N_, IllegalTransition


class TicketStatus(StrEnum):
    AWAITING_DETAILS = "awaiting_details"
    AWAITING_VERIFICATION = "awaiting_verification"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    CLOSED = "closed"


S = TicketStatus

ALLOWED_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.AWAITING_DETAILS: frozenset({S.AWAITING_VERIFICATION, S.OPEN, S.REJECTED}),
    S.AWAITING_VERIFICATION: frozenset({S.AWAITING_DETAILS, S.OPEN, S.REJECTED}),
    S.OPEN: frozenset({S.AWAITING_DETAILS, S.AWAITING_VERIFICATION, S.IN_PROGRESS, S.RESOLVED, S.REJECTED}),
    S.IN_PROGRESS: frozenset({S.AWAITING_DETAILS, S.RESOLVED, S.REJECTED}),
    # A resolved ticket may be reopened when the customer says it is not done; a refusal is final.
    S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.REJECTED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

# Tickets staff still owe the customer an answer on; due dates only matter for these.
ACTIVE_STATUSES = frozenset({S.AWAITING_DETAILS, S.AWAITING_VERIFICATION, S.OPEN, S.IN_PROGRESS})
FINISHED_STATUSES = frozenset({S.RESOLVED, S.REJECTED, S.CLOSED})


def check_transition(current: TicketStatus, new: TicketStatus) -> None:
    """Raise IllegalTransition unless `current -> new` is an allowed move."""
    if new not in ALLOWED_TRANSITIONS[current]:
        if not ALLOWED_TRANSITIONS[current]:
            raise IllegalTransition(N_("a ticket in status {current} cannot move to {new}; allowed: nothing (it is "
                                       "final)"), current=current, new=new)
        raise IllegalTransition(N_("a ticket in status {current} cannot move to {new}; allowed: {allowed}"),
                                current=current, new=new, allowed=sorted(ALLOWED_TRANSITIONS[current]))
