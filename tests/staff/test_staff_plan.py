"""Staff actions as plans: each decision and refusal, with no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privacy_desk import staff_plan
from privacy_desk.errors import IllegalTransition, PolicyError, ReviewRefused
from privacy_desk.languages import Language
from privacy_desk.messages import Channel, MailThread
from privacy_desk.plan import Audit, ConfirmIdentity, Reply, SetKind, SetStatus, TicketState
from privacy_desk.policy import Detail, RequestKind, load_pack
from privacy_desk.replies import Purpose, RenderedReply
from privacy_desk.staff_plan import DraftReply
from privacy_desk.status import TicketStatus

ITO = load_pack("itosoft")
QS = load_pack("qualitysoft")
OPENED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
THREAD = MailThread.answering("<m1@example.jp>", None)
TEMPLATE = RenderedReply("[PRQ-2026-000001] Your request", "Dear customer,\n...\n")


def ticket(status: TicketStatus = TicketStatus.OPEN, kind: RequestKind = RequestKind.DELETION,
           identity: bool = True, email: str | None = "hanako@example.jp") -> TicketState:
    details = {d: "x" for d in ITO.rule(kind).details}
    if email:
        details[Detail.EMAIL] = email
    else:
        details.pop(Detail.EMAIL, None)
    return TicketState(reference="PRQ-2026-000001", kind=kind, status=status, language=Language.EN,
                       channel=Channel.EMAIL, details=details, identity_confirmed=identity,
                       due_date=date(2026, 12, 16), created_at=OPENED)


def send(state: TicketState, draft: DraftReply, body: str = TEMPLATE.body, subject: str = TEMPLATE.subject or ""):
    return staff_plan.plan_staff_reply(ITO, state, draft, TEMPLATE, subject=subject, body=body, thread=THREAD,
                                       actor="staff:alice")


def test_confirming_identity_moves_a_waiting_ticket_and_only_once() -> None:
    plan = staff_plan.plan_confirm_identity(ITO, ticket(TicketStatus.AWAITING_VERIFICATION, identity=False), "a")
    assert plan.changes == (ConfirmIdentity("staff"), SetStatus(TicketStatus.OPEN))
    with pytest.raises(ReviewRefused, match="already confirmed"):
        staff_plan.plan_confirm_identity(ITO, ticket(), "a")
    with pytest.raises(ReviewRefused, match="already resolved"):
        staff_plan.plan_confirm_identity(ITO, ticket(TicketStatus.RESOLVED, identity=False), "a")


def test_a_new_kind_brings_its_own_deadline() -> None:
    plan = staff_plan.plan_change_kind(ITO, ticket(), RequestKind.MARKETING_OPTOUT, "a")
    (change,) = plan.changes
    assert isinstance(change, SetKind) and change.kind is RequestKind.MARKETING_OPTOUT
    assert change.due_date == date(2026, 12, 9)  # five business days from the day the customer asked
    with pytest.raises(ReviewRefused, match="already a deletion"):
        staff_plan.plan_change_kind(ITO, ticket(), RequestKind.DELETION, "a")


def test_notes_and_plain_moves() -> None:
    assert staff_plan.plan_note(ticket(), "  called back  ", "a").changes == (Audit("note", {"text": "called back"}),)
    with pytest.raises(ReviewRefused):
        staff_plan.plan_note(ticket(), "   ", "a")
    assert staff_plan.plan_move(ticket(), TicketStatus.IN_PROGRESS, "a").changes == (
        SetStatus(TicketStatus.IN_PROGRESS),)
    with pytest.raises(ReviewRefused, match="needs a reply"):
        staff_plan.plan_move(ticket(), TicketStatus.RESOLVED, "a")
    with pytest.raises(IllegalTransition):
        staff_plan.plan_move(ticket(TicketStatus.AWAITING_VERIFICATION), TicketStatus.CLOSED, "a")


def test_a_resolution_moves_the_ticket_and_queues_the_edited_reply_in_the_thread() -> None:
    plan = send(ticket(), DraftReply(Purpose.RESOLVED), body="We deleted it.\r\nRegards")
    status, reply = plan.changes
    assert status == SetStatus(TicketStatus.RESOLVED, {"ground": None})
    assert isinstance(reply, Reply) and reply.written is not None and reply.thread == THREAD
    assert reply.written.body == "We deleted it.\nRegards\n"
    assert reply.event is not None and reply.event.details["edited"] is True


def test_a_subject_without_the_reference_gets_it() -> None:
    (_, reply) = send(ticket(), DraftReply(Purpose.RESOLVED), subject="Done").changes
    assert isinstance(reply, Reply) and reply.written is not None
    assert reply.written.subject == "[PRQ-2026-000001] Done"


def test_refusals_before_anything_is_written() -> None:
    with pytest.raises(ReviewRefused, match="the policy requires"):
        send(ticket(identity=False), DraftReply(Purpose.RESOLVED))
    with pytest.raises(ReviewRefused, match="empty"):
        send(ticket(), DraftReply(Purpose.RESOLVED), body="  ")
    with pytest.raises(ReviewRefused, match="refusal ground"):
        send(ticket(), DraftReply(Purpose.REJECTED))
    with pytest.raises(PolicyError):
        send(ticket(), DraftReply(Purpose.REJECTED, ground="no-such-ground"))
    with pytest.raises(ReviewRefused, match="which details"):
        send(ticket(), DraftReply(Purpose.ASK_DETAILS))
    with pytest.raises(ReviewRefused, match="do not send"):
        send(ticket(), DraftReply(Purpose.ACKNOWLEDGEMENT))
    with pytest.raises(IllegalTransition):
        send(ticket(TicketStatus.CLOSED), DraftReply(Purpose.RESOLVED))


def test_without_an_address_the_reply_is_recorded_as_not_sent() -> None:
    plan = send(ticket(email=None), DraftReply(Purpose.ASK_DETAILS, details=(Detail.PHONE,)))
    assert plan.changes == (SetStatus(TicketStatus.AWAITING_DETAILS, {"ground": None}),
                            Audit("details_requested", {"fields": ["phone"]}),
                            Audit("reply_not_sent", {"purpose": "ask_details", "reason": "no email address"}))


def test_our_own_decision_needs_no_ground_but_a_reason() -> None:
    plan = send(ticket(), DraftReply(Purpose.REJECTED, message="We hold no data about this address."))
    assert plan.changes[0] == SetStatus(TicketStatus.REJECTED, {"ground": None})
    # QualitySoft's policy names no ground for refusing a deletion: a ground id is not accepted there.
    with pytest.raises(PolicyError):
        staff_plan.draft_context(QS, ticket(), DraftReply(Purpose.REJECTED, ground="identity-not-confirmed"))
