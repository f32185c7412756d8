"""The ticket store, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from privacy_desk import bot_plan, staff_plan
from privacy_desk.apply import Applier
from privacy_desk.db import transaction
from privacy_desk.errors import IllegalTransition, TicketNotFound
from privacy_desk.languages import Language
from privacy_desk.messages import Channel, IncomingMessage, OutgoingMessage
from privacy_desk.models import Event, Message, Ticket
from privacy_desk.policy import Detail, RequestKind, load_pack
from privacy_desk.replies import ReplyRenderer
from privacy_desk.status import TicketStatus
from privacy_desk.tickets import TicketFilter, TicketService

PACK = load_pack("itosoft")
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def service(session: Session, now: datetime = NOW) -> TicketService:
    return TicketService(session, PACK, clock=lambda: now)


def open_ticket(session: Session, *, kind: RequestKind, channel: str, language: Language,
                details: dict[str, str | None], actor: str, incoming: IncomingMessage | None = None,
                intent: str | None = None, confidence: float | None = None, when: datetime = NOW) -> Ticket:
    """A ticket written as a bot step plans it (status and due date decided by the planner)."""
    opening = bot_plan.ticket_to_open(PACK, kind, details, channel=channel, language=language, now=when,
                                      intent=intent, confidence=confidence)
    svc = service(session, when)
    ticket = svc.open_ticket(opening, actor)
    if incoming is not None:
        svc.add_incoming(incoming, ticket)
    return ticket


def full_details(kind: RequestKind) -> dict[str, str]:
    values = {"name": "Taro Yamada", "email": "taro@example.jp", "phone": "03-1234-5678", "company": "Example K.K.",
              "division": "General Affairs", "member_number": "M-204511", "address": "1-2-3 Chiyoda, Tokyo"}
    return {d.value: values[d.value] for d in PACK.rule(kind).details}


def incoming(message_id: str = "<a1@example.jp>") -> IncomingMessage:
    return IncomingMessage(channel=Channel.EMAIL, body="Please delete my data.", language=Language.EN,
                           sender="taro@example.jp", subject="Delete my data", message_id=message_id)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_open_ticket_writes_ticket_message_and_event_together(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        ticket = open_ticket(s, kind=RequestKind.DELETION, channel=Channel.EMAIL, language=Language.EN,
                                        details={"email": "taro@example.jp"}, actor="mail", incoming=incoming(),
                                        intent="request_deletion", confidence=0.93)
        ref = ticket.reference
    with sessions() as s:
        t = service(s).get(ref)
        assert t.reference == "PRQ-2026-000001"
        assert t.status == TicketStatus.AWAITING_DETAILS
        # Ten business days after Monday 23 November 2026, itself a public holiday (Labour Thanksgiving Day).
        assert PACK.rule(RequestKind.DELETION).target.business_days == 10
        assert t.due_date == date(2026, 12, 7)
        assert t.created_at == NOW and t.created_at.tzinfo is not None
        assert [m.message_id for m in t.messages] == ["<a1@example.jp>"]
        assert [e.action for e in t.events] == ["opened"]
        assert t.events[0].details["details_given"] == ["email"]
        assert "taro@example.jp" not in str(t.events[0].details)  # the audit log names fields, not values


def test_failure_inside_the_unit_of_work_leaves_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        open_ticket(s, kind=RequestKind.DISCLOSURE, channel=Channel.EMAIL, language=Language.EN,
                               details={}, actor="mail", incoming=incoming("<dup@example.jp>"))
    with pytest.raises(IntegrityError), transaction(sessions) as s:
        # Same Message-ID: the second ticket, its message and its event must all roll back.
        open_ticket(s, kind=RequestKind.DISCLOSURE, channel=Channel.EMAIL, language=Language.EN,
                               details={}, actor="mail", incoming=incoming("<dup@example.jp>"))
    with sessions() as s:
        assert (count(s, Ticket), count(s, Message), count(s, Event)) == (1, 1, 1)


def test_references_count_up_per_year(sessions: sessionmaker[Session]) -> None:
    refs = []
    for when in (NOW, NOW, NOW.replace(year=2027, month=1, day=2)):
        with transaction(sessions) as s:
            refs.append(open_ticket(s, when=when,
                kind=RequestKind.MARKETING_OPTOUT, channel=Channel.CHAT, language=Language.EN,
                details=full_details(RequestKind.MARKETING_OPTOUT), actor="chat").reference)
    assert refs == ["PRQ-2026-000001", "PRQ-2026-000002", "PRQ-2027-000001"]


def test_details_then_identity_advance_the_status(sessions: sessionmaker[Session]) -> None:
    kind = RequestKind.CORRECTION
    applier = Applier(PACK, b"k" * 32, "privacy@itosoft.example.com", ReplyRenderer(), clock=lambda: NOW)
    with transaction(sessions) as s:
        ref = open_ticket(s, kind=kind, channel=Channel.CHAT, language=Language.EN, details={},
                          actor="chat").reference
    with transaction(sessions) as s:
        svc = service(s)
        assert svc.missing_details(svc.get(ref)) == list(PACK.rule(kind).details)
        plan = bot_plan.plan_add_details(PACK, svc.state(svc.get(ref)), full_details(kind), channel=Channel.CHAT,
                                         language=Language.EN, actor="chat")
        applied = applier.apply(s, plan)
        t = svc.get(ref)
        assert applied.status is TicketStatus.AWAITING_VERIFICATION and t.status == applied.status
        assert set(svc.given_details(t)) == set(PACK.rule(kind).details)
        again = bot_plan.plan_add_details(PACK, svc.state(t), {"email": "other@example.com"}, channel=Channel.CHAT,
                                          language=Language.EN, actor="chat")
        applier.apply(s, again)
        assert t.email == "taro@example.jp"  # a given detail is never silently overwritten
        applier.apply(s, staff_plan.plan_confirm_identity(PACK, svc.state(t), "staff:alice"))
        assert t.status == TicketStatus.OPEN and t.identity_confirmed_at == NOW
    with sessions() as s:
        actions = [e.action for e in service(s).get(ref).events]
    changes = {"opened", "details_added", "status_changed", "identity_confirmed"}
    assert [a for a in actions if a in changes] == ["opened", "details_added", "status_changed",
                                                    "identity_confirmed", "status_changed"]
    assert actions.count("verification_sent") == 1  # the code went by mail, once


def test_illegal_transition_writes_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        ref = open_ticket(s, kind=RequestKind.DISCLOSURE, channel=Channel.CHAT, language=Language.EN,
                                     details={}, actor="chat").reference
    with pytest.raises(IllegalTransition), transaction(sessions) as s:
        svc = service(s)
        svc.change_status(svc.get(ref), TicketStatus.RESOLVED, actor="staff:alice")
    with sessions() as s:
        t = service(s).get(ref)
        assert t.status == TicketStatus.AWAITING_DETAILS
        assert [e.action for e in t.events] == ["opened"]


def test_replies_are_queued_for_mail_and_shown_for_chat(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        svc = service(s)
        t = open_ticket(s, kind=RequestKind.DISCLOSURE, channel=Channel.EMAIL, language=Language.EN,
                            details={}, actor="mail", incoming=incoming())
        svc.add_reply(t, OutgoingMessage(channel=Channel.EMAIL, body="b", language=Language.EN,
                                         purpose="ask_details", recipient="taro@example.jp", subject="s",
                                         message_id="<r1@privacy-desk>", in_reply_to="<a1@example.jp>"),
                      actor="mail")
        svc.add_reply(t, OutgoingMessage(channel=Channel.CHAT, body="c", language=Language.EN,
                                         purpose="acknowledgement"), actor="chat")
    with sessions() as s:
        states = s.execute(select(Message.direction, Message.delivery_state).order_by(Message.id)).all()
        assert states == [("in", "received"), ("out", "queued"), ("out", "shown")]


def test_list_filters_search_and_overdue(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        svc = service(s)
        a = open_ticket(s, kind=RequestKind.DELETION, channel=Channel.EMAIL, language=Language.EN,
                            details={"email": "Taro@Example.jp"}, actor="mail")
        b = open_ticket(s, kind=RequestKind.MARKETING_OPTOUT, channel=Channel.CHAT, language=Language.JA,
                            details={**full_details(RequestKind.MARKETING_OPTOUT), "email": "hanako@example.jp"},
                            actor="chat")
        refs = (a.reference, b.reference)
    with sessions() as s:
        svc = service(s)
        assert [t.reference for t in svc.list_tickets(TicketFilter(kind=RequestKind.DELETION))] == [refs[0]]
        assert [t.reference for t in svc.list_tickets(TicketFilter(channel="chat"))] == [refs[1]]
        assert [t.reference for t in svc.list_tickets(TicketFilter(search="taro@example.JP"))] == [refs[0]]
        assert [t.reference for t in svc.list_tickets(TicketFilter(search=refs[1].lower()))] == [refs[1]]
        assert svc.list_tickets(TicketFilter(overdue_on=date(2026, 11, 24))) == []
        assert svc.count_tickets(TicketFilter(overdue_on=date(2027, 6, 1))) == 2
        with pytest.raises(TicketNotFound):
            svc.get("PRQ-2026-999999")


def test_unknown_detail_keys_are_ignored(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        t = open_ticket(s, kind=RequestKind.COMPLAINT, channel=Channel.CHAT, language=Language.EN,
                                   details={"email": "a@example.com", "password": "hunter2"}, actor="chat")
        assert t.email == "a@example.com"
        assert Detail.EMAIL not in service(s).missing_details(t)
