"""The bot's steps, as the chat actions call them: read the ticket, plan the step, carry the plan out.

Each method is one transaction: it reads the facts the step needs, asks the pure planner in `bot_plan.py`,
and hands the plan to `apply.Applier`, so the ticket change, the audit events and the queued mail commit
together. (The mail channel does the same in its own transaction, with the mailbox position: see
`mail_ingest/pipeline.py`.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from privacy_desk import bot_plan
from privacy_desk.apply import Applier, Outcome
from privacy_desk.db import transaction
from privacy_desk.languages import Language
from privacy_desk.messages import Delivery, IncomingMessage, utcnow
from privacy_desk.plan import Plan
from privacy_desk.policy import PolicyPack, RequestKind, Topic
from privacy_desk.replies import Purpose, ReplyChannel, ReplyRenderer, reply_context
from privacy_desk.staff_notices import DEFAULT_STAFF_APP_URL
from privacy_desk.tickets import TicketService
from privacy_desk.verification import typed_digest


class Desk:
    def __init__(self, sessions: sessionmaker[Session], pack: PolicyPack, key: bytes, mail_from: str,
                 renderer: ReplyRenderer | None = None, clock: Callable[[], datetime] = utcnow,
                 staff_app_url: str = DEFAULT_STAFF_APP_URL) -> None:
        self.sessions = sessions
        self.pack = pack
        self.key = key
        self.renderer = renderer or ReplyRenderer()
        self.clock = clock
        self.applier = Applier(pack, key, mail_from, self.renderer, clock, staff_app_url=staff_app_url)

    def open_request(self, *, kind: RequestKind, details: Mapping[str, str | None], channel: str,
                     language: Language, actor: str, incoming: IncomingMessage | None = None,
                     intent: str | None = None, confidence: float | None = None) -> Outcome:
        return self._carry_out(bot_plan.plan_open_request(
            self.pack, kind, details, channel=channel, language=language, now=self.clock(), actor=actor,
            incoming=incoming, intent=intent, confidence=confidence))

    def add_details(self, reference: str, details: Mapping[str, str | None], *, channel: str,
                    language: Language, actor: str, incoming: IncomingMessage | None = None) -> Outcome:
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            state = tickets.state(tickets.get(reference))
            return self._apply(session, bot_plan.plan_add_details(
                self.pack, state, details, channel=channel, language=language, actor=actor, incoming=incoming))

    def check_code(self, reference: str, text: str, *, channel: str, language: Language, actor: str,
                   incoming: IncomingMessage | None = None) -> Outcome:
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            ticket = tickets.get(reference)
            return self._apply(session, bot_plan.plan_check_code(
                self.pack, tickets.state(ticket), tickets.pending_code(ticket),
                typed_digest(self.key, ticket.id, text), now=self.clock(), channel=channel, language=language,
                actor=actor, incoming=incoming))

    def answer_by_mail(self, topic: Topic, *, to: str, language: Language, actor: str, incoming: IncomingMessage,
                       customer_name: str | None = None) -> Outcome:
        return self._carry_out(bot_plan.plan_answer_by_mail(
            topic, to=to, language=language, actor=actor, incoming=incoming, customer_name=customer_name))

    def record_followup(self, reference: str, incoming: IncomingMessage, actor: str) -> Outcome:
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            return self._apply(session, bot_plan.plan_followup(tickets.state(tickets.get(reference)), incoming,
                                                               actor))

    def quarantine(self, incoming: IncomingMessage, reason: str, actor: str = "mail") -> None:
        """Keep a message we cannot read, with the reason, for staff: never dropped."""
        self._carry_out(bot_plan.plan_keep(incoming, reason, actor, delivery=Delivery.QUARANTINED))

    def hold_for_staff(self, incoming: IncomingMessage, reason: str, actor: str,
                       reference: str | None = None) -> None:
        """Keep a message nobody was answered for: on its ticket when it has one, else with the reason for staff."""
        with transaction(self.sessions) as session:
            tickets = TicketService(session, self.pack, self.clock)
            state = tickets.state(tickets.get(reference)) if reference else None
            self._apply(session, bot_plan.plan_keep(incoming, reason, actor, ticket=state))

    def answer(self, topic: Topic, channel: ReplyChannel, language: Language, *, customer_name: str | None = None,
               subject: str | None = None) -> tuple[str | None, str]:
        """The pack's answer to a question, rendered for the channel (the chat shows it; nothing is stored)."""
        context = reply_context(self.pack, language, topic=topic, customer_name=customer_name, subject=subject,
                                channel=channel)
        reply = self.renderer.render(Purpose.ANSWER, channel, language, context)
        return reply.subject, reply.body

    def _carry_out(self, plan: Plan) -> Outcome:
        with transaction(self.sessions) as session:
            return self._apply(session, plan)

    def _apply(self, session: Session, plan: Plan) -> Outcome:
        return self.applier.apply(session, plan)
