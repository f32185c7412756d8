"""Staff actions through the review service: each one's change, audit event and reply, and the refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from privacy_desk.errors import IllegalTransition, PolicyError, ReviewRefused
from privacy_desk.languages import Language
from privacy_desk.models import Event, Message, Ticket
from privacy_desk.policy import Detail, RequestKind, load_pack
from privacy_desk.replies import Purpose
from privacy_desk.review import Review
from privacy_desk.staff import Role
from privacy_desk.staff_plan import DraftReply, reply_subject
from privacy_desk.status import TicketStatus
from privacy_desk.workdays import add_business_days, local_date
from tests.staff.conftest import MAIL_FROM, PACK, add_staff, open_request
from tests.support.clock import Clock


@pytest.fixture
def review(sessions: sessionmaker[Session], clock: Clock) -> Review:
    return Review(sessions, PACK, MAIL_FROM, clock=clock)


def ticket(sessions: sessionmaker[Session], reference: str) -> Ticket:
    with sessions() as session:
        found = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert found is not None
        return found


def last_event(sessions: sessionmaker[Session], reference: str) -> Event:
    with sessions() as session:
        event = session.scalar(select(Event).join(Ticket).where(Ticket.reference == reference)
                               .order_by(Event.id.desc()).limit(1))
        assert event is not None
        return event


def events(sessions: sessionmaker[Session], reference: str) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(e.actor, e.action) for e in session.scalars(
            select(Event).join(Ticket).where(Ticket.reference == reference).order_by(Event.id))]


def queued(sessions: sessionmaker[Session], reference: str, purpose: str) -> list[Message]:
    with sessions() as session:
        return list(session.scalars(select(Message).join(Ticket).where(
            Ticket.reference == reference, Message.purpose == purpose, Message.direction == "out")))


def test_confirm_identity_opens_the_ticket(sessions: sessionmaker[Session], review: Review) -> None:
    reference = open_request(sessions)
    assert ticket(sessions, reference).status == TicketStatus.AWAITING_VERIFICATION
    review.confirm_identity(reference, "alice")
    confirmed = ticket(sessions, reference)
    assert confirmed.identity_confirmed_at is not None and confirmed.status == TicketStatus.OPEN
    assert ("alice", "identity_confirmed") in events(sessions, reference)
    assert ("alice", "status_changed") in events(sessions, reference)
    with pytest.raises(ReviewRefused, match="already confirmed"):
        review.confirm_identity(reference, "alice")


def test_resolve_queues_the_edited_reply_threaded_and_records_who(sessions: sessionmaker[Session],
                                                                   review: Review) -> None:
    reference = open_request(sessions)
    review.confirm_identity(reference, "alice")
    draft = DraftReply(Purpose.RESOLVED, message="We also removed your newsletter subscription.")
    preview = review.preview(reference, draft)
    assert reference in (preview.subject or "") and "newsletter subscription" in preview.body
    edited = preview.body.replace("Dear Hanako Suzuki", "Dear Ms Suzuki")
    message_id = review.send(reference, draft, "Done: your request", edited, "bob")
    assert message_id is not None
    resolved = ticket(sessions, reference)
    assert resolved.status == TicketStatus.RESOLVED and resolved.closed_at is not None
    [mail] = queued(sessions, reference, "resolved")
    assert mail.delivery_state == "queued" and mail.recipient == "hanako@example.jp"
    assert mail.subject == f"[{reference}] Done: your request" and mail.body.startswith("Dear Ms Suzuki")
    event = last_event(sessions, reference)
    assert (event.actor, event.action) == ("bob", "staff_reply")
    assert event.details["edited"] is True and event.details["purpose"] == "resolved"


def test_resolving_before_identity_is_confirmed_is_refused(sessions: sessionmaker[Session],
                                                             review: Review) -> None:
    reference = open_request(sessions)  # deletion: the pack requires identity; still awaiting the code
    draft = DraftReply(Purpose.RESOLVED)
    body = review.preview(reference, draft).body
    with pytest.raises((IllegalTransition, ReviewRefused)):
        review.send(reference, draft, "", body, "alice")
    assert ticket(sessions, reference).status == TicketStatus.AWAITING_VERIFICATION
    assert queued(sessions, reference, "resolved") == []


def test_reject_needs_a_ground_from_the_pack(sessions: sessionmaker[Session], review: Review) -> None:
    reference = open_request(sessions, RequestKind.DISCLOSURE)
    grounds = PACK.rule(RequestKind.DISCLOSURE).refusal_grounds
    assert grounds, "the itosoft pack quotes refusal grounds for disclosure (section 8)"
    with pytest.raises(ReviewRefused, match="refusal ground, or write the reason"):
        review.preview(reference, DraftReply(Purpose.REJECTED))
    with pytest.raises(PolicyError, match="no refusal ground"):
        review.preview(reference, DraftReply(Purpose.REJECTED, ground="because_we_said_so"))
    draft = DraftReply(Purpose.REJECTED, ground=grounds[0].id)
    preview = review.preview(reference, draft)
    assert grounds[0].reason.en in preview.body
    assert grounds[0].quote is not None and grounds[0].quote.en in preview.body
    assert "Our privacy policy (section 8," in preview.body
    review.send(reference, draft, preview.subject or "", preview.body, "alice")
    rejected = ticket(sessions, reference)
    assert rejected.status == TicketStatus.REJECTED
    assert last_event(sessions, reference).details["ground"] == grounds[0].id
    # A refusal is final: nothing reopens it.
    with pytest.raises(IllegalTransition, match="cannot move"):
        review.move(reference, TicketStatus.IN_PROGRESS, "alice")
    review.move(reference, TicketStatus.CLOSED, "alice")
    assert ticket(sessions, reference).status == TicketStatus.CLOSED


def test_ask_for_details_waits_for_the_customer(sessions: sessionmaker[Session], review: Review) -> None:
    reference = open_request(sessions, RequestKind.CORRECTION)
    draft = DraftReply(Purpose.ASK_DETAILS, details=(Detail.MEMBER_NUMBER,), message="Which address is wrong?")
    preview = review.preview(reference, draft)
    assert "your membership number" in preview.body and "Which address is wrong?" in preview.body
    review.send(reference, draft, preview.subject or "", preview.body, "bob")
    waiting = ticket(sessions, reference)
    assert waiting.status == TicketStatus.AWAITING_DETAILS
    assert ("bob", "details_requested") in events(sessions, reference)
    assert len(queued(sessions, reference, "ask_details")) == 1


def test_change_kind_takes_the_new_kinds_deadline(sessions: sessionmaker[Session], review: Review) -> None:
    reference = open_request(sessions, RequestKind.MARKETING_OPTOUT)
    before = ticket(sessions, reference)
    review.change_kind(reference, RequestKind.DISCLOSURE, "alice")
    after = ticket(sessions, reference)
    assert after.kind == "disclosure"
    # Counted from when the customer asked: 10 business days for a disclosure, where the promotions opt-out had 5.
    opened_on = local_date(before.created_at, PACK.calendar)
    assert before.due_date == add_business_days(opened_on, 5, PACK.calendar)
    assert after.due_date == add_business_days(opened_on, 10, PACK.calendar) > before.due_date
    with sessions() as session:
        changed = session.scalar(select(Event).where(Event.action == "kind_changed"))
    assert changed is not None and changed.actor == "alice"
    assert changed.details["from"] == "marketing_optout" and changed.details["to"] == "disclosure"
    with pytest.raises(ReviewRefused, match="already"):
        review.change_kind(reference, RequestKind.DISCLOSURE, "alice")


def test_assign_and_note(sessions: sessionmaker[Session], review: Review) -> None:
    add_staff(sessions, "bob", Role.STAFF)
    reference = open_request(sessions, RequestKind.COMPLAINT)
    review.assign(reference, "bob", "alice")
    assert ticket(sessions, reference).assignee == "bob"
    assert last_event(sessions, reference).details == {"to": "bob"}
    with pytest.raises(ReviewRefused, match="no active staff account"):
        review.assign(reference, "mallory", "alice")
    review.add_note(reference, "Called the customer; she confirmed by phone.", "bob")
    note = last_event(sessions, reference)
    assert (note.actor, note.action) == ("bob", "note") and "confirmed by phone" in note.details["text"]
    with pytest.raises(ReviewRefused, match="empty"):
        review.add_note(reference, "   ", "bob")


def test_illegal_moves_are_refused_and_change_nothing(sessions: sessionmaker[Session], review: Review) -> None:
    reference = open_request(sessions)
    with pytest.raises(IllegalTransition, match="cannot move to closed"):
        review.move(reference, TicketStatus.CLOSED, "alice")
    with pytest.raises(ReviewRefused, match="needs a reply"):
        review.move(reference, TicketStatus.RESOLVED, "alice")
    assert ticket(sessions, reference).status == TicketStatus.AWAITING_VERIFICATION
    assert not any(actor == "alice" for actor, _ in events(sessions, reference))


def test_japanese_ticket_gets_a_japanese_reply(sessions: sessionmaker[Session], review: Review) -> None:
    reference = open_request(sessions, RequestKind.MARKETING_OPTOUT, Language.JA, name="山田 太郎")
    preview = review.preview(reference, DraftReply(Purpose.RESOLVED))
    assert "山田 太郎" in preview.body and "ITO" not in (preview.subject or "")


def test_reply_subject_keeps_the_reference() -> None:
    assert reply_subject("Your request", "PRQ-2026-000001") == "[PRQ-2026-000001] Your request"
    assert reply_subject("[PRQ-2026-000001] Done", "PRQ-2026-000001") == "[PRQ-2026-000001] Done"


def test_the_customers_answer_to_a_staff_question_brings_the_ticket_back(sessions: sessionmaker[Session],
                                                                         review: Review) -> None:
    from privacy_desk.desk import Desk

    assert not PACK.rule(RequestKind.COMPLAINT).needs_identity
    reference = open_request(sessions, RequestKind.COMPLAINT)
    draft = DraftReply(Purpose.ASK_DETAILS, message="Which address should we correct?")
    review.send(reference, draft, "More details", "Which address should we correct?", "bob")
    assert ticket(sessions, reference).status == TicketStatus.AWAITING_DETAILS
    # The customer's reply brings no detail the pack lists, but it answers staff: the ticket is theirs again.
    Desk(sessions, PACK, b"k" * 32, MAIL_FROM).add_details(reference, {}, channel="email", language=Language.EN,
                                                           actor="mail")
    assert ticket(sessions, reference).status == TicketStatus.OPEN


def test_without_a_policy_ground_staff_reject_as_our_own_decision(sessions: sessionmaker[Session],
                                                                  clock: Clock) -> None:
    qualitysoft = load_pack("qualitysoft")
    review = Review(sessions, qualitysoft, MAIL_FROM, clock=clock)
    reference = open_request(sessions, RequestKind.DELETION, pack=qualitysoft, company="none", division="none",
                             phone="03-1234-5678")
    assert qualitysoft.rule(RequestKind.DELETION).refusal_grounds == []  # its policy gives none
    with pytest.raises(ReviewRefused, match="write the reason"):
        review.preview(reference, DraftReply(Purpose.REJECTED, message="  "))
    reason = "We hold no registration under the name and company you gave."
    draft = DraftReply(Purpose.REJECTED, message=reason)
    preview = review.preview(reference, draft)
    assert "This is our decision, for the following reason:\n" + reason in preview.body
    assert "policy" not in preview.body.lower()  # a decision of ours, never presented as the policy's
    review.send(reference, draft, preview.subject or "", preview.body, "alice")
    assert ticket(sessions, reference).status == TicketStatus.REJECTED
    assert last_event(sessions, reference).details["ground"] is None
