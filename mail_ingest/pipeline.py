"""One mail, from raw bytes to a decision and its queued reply. The email channel's whole flow is here.

    read:   parse -> our own mail? machine mail? -> classify                      (no database)
    record: facts from the store (seen before? its ticket? replies today?) -> plan_mail (pure, in the core:
            privacy_desk/mail_plan.py) -> carry the plan out: open / answer / follow up / keep for staff

`read` touches no database, so the poller runs it for the next mails while the current one commits. The
decision, the ticket change, the queued reply and the mailbox position commit in one transaction in `record`;
with `dry_run` the same work is done and rolled back, so `mail process --dry-run` shows exactly what would happen.
Every mail that is neither answered nor machine mail stays visible to staff: on its ticket, or held with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mail_ingest.loops import no_reply_reason
from mail_ingest.parse import ParsedMail, Unparseable, parse_mail
from privacy_desk.classify import Classification
from privacy_desk.decisions import find_reference
from privacy_desk.desk import Desk, MailThread, Outcome
from privacy_desk.languages import Language, detect_language
from privacy_desk.mail_plan import MailFacts, MailStep, plan_mail
from privacy_desk.mailbox_state import MailboxPosition, record_position
from privacy_desk.mailtext import customer_words, split_mail_text, subject_words
from privacy_desk.models import Message, Ticket
from privacy_desk.own_mail import answers_our_mail
from privacy_desk.policy import PolicyPack
from privacy_desk.replies import ReplyRenderer
from privacy_desk.status import TicketStatus
from privacy_desk.tickets import Channel, IncomingMessage, TicketService, utcnow
from privacy_desk.verification import find_code

ACTOR = "mail"

Classifier = Callable[[str, str | None], Classification]  # (body, subject) -> classification


@dataclass(frozen=True)
class ReadMail:
    """A mail as far as it can be taken without the database: parsed, its new text found, classified."""

    raw: bytes
    mail: ParsedMail | None  # None: it cannot be parsed, see `problem`
    problem: str = ""
    new_text: str = ""
    language: Language = Language.EN
    no_reply: str | None = None  # why it must not be answered (machine mail), if it must not
    own: str | None = None  # why it is our own mail (from our address, or nothing new on top of ours)
    said_something: bool = False  # the body's own words (greetings, signatures, quotes aside) or the subject's
    classification: Classification | None = None  # None only for mail that is never answered


@dataclass
class MailDecision:
    action: str  # opened | followup | answered | ignored | quarantined
    reason: str
    intent: str | None = None
    ticket: str | None = None
    missing_details: list[str] = field(default_factory=list)
    reply: dict[str, str] | None = None
    language: str | None = None
    queued: list[int] = field(default_factory=list)  # outbox rows this mail caused

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "queued"}


class MailPipeline:
    def __init__(self, engine: Engine, pack: PolicyPack, key: bytes, mail_from: str, classifier: Classifier,
                 own_addresses: Iterable[str] = (), clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.pack = pack
        self.key = key
        self.mail_from = mail_from.lower()
        self.classifier = classifier
        self.own_addresses = {a.lower() for a in own_addresses} | {self.mail_from}
        self.clock = clock
        # One renderer for the pipeline's life: Jinja compiles each template once and keeps it, instead of
        # compiling every template again for every mail.
        self.renderer = ReplyRenderer()

    def process(self, raw: bytes, position: MailboxPosition | None = None, dry_run: bool = False) -> MailDecision:
        return self.record(self.read(raw), position, dry_run)

    def read(self, raw: bytes) -> ReadMail:
        """Parse and classify one mail. No database: safe to run ahead, in another thread, of `record`."""
        try:
            mail = parse_mail(raw)
        except Unparseable as exc:
            return ReadMail(raw, None, str(exc))
        parts = split_mail_text(mail.text)
        new_text = parts.new_text or mail.text
        language = detect_language(f"{mail.subject}\n{new_text}")
        own = self._own(mail, parts.new_text)
        reason = None if own else no_reply_reason(mail, self.own_addresses)
        # Our own mail and machine mail are never answered, so never classified. Any other mail is, even if it
        # turns out to be a duplicate or a reply for staff: knowing that needs the database, and such mail is rare.
        classification = None if own or reason else self.classifier(mail.text, mail.subject)
        said = bool(customer_words(parts.new_text) or subject_words(mail.subject))
        return ReadMail(raw, mail, "", new_text, language, reason, own, said, classification)

    def _own(self, mail: ParsedMail, new_text: str) -> str | None:
        if mail.from_address and mail.from_address.lower() in self.own_addresses:
            return "sent from our own address"
        if answers_our_mail([mail.in_reply_to, *mail.references], self.mail_from) \
                and not customer_words(new_text):
            return "our own mail come back with nothing new in it"
        return None

    def record(self, read: ReadMail, position: MailboxPosition | None = None, dry_run: bool = False) -> MailDecision:
        """Decide and commit one read mail, with the mailbox position, in one transaction."""
        with self.engine.connect() as connection:
            outer = connection.begin()
            # Desk's own transactions become savepoints inside ours: everything commits (or not) together.
            sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                                    expire_on_commit=False)
            try:
                decision = self._decide(read, sessions)
                with sessions() as session:
                    if position is not None:
                        record_position(session, position, self.clock())
                    decision.reply = self._reply_preview(session, decision)
                    session.commit()
            except BaseException:
                outer.rollback()
                raise
            if dry_run:
                outer.rollback()
            else:
                outer.commit()
            return decision

    def quarantine(self, raw: bytes, reason: str, position: MailboxPosition | None = None) -> MailDecision:
        """Keep a message whose processing failed, with the reason, and move past it."""
        with self.engine.connect() as connection, connection.begin():
            sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
            self._desk(sessions).quarantine(
                self._raw_incoming(raw), reason)
            if position is not None:
                with sessions() as session:
                    record_position(session, position, self.clock())
                    session.commit()
        return MailDecision("quarantined", reason)

    # -- the flow ------------------------------------------------------------------------------------------

    def _decide(self, read: ReadMail, sessions: sessionmaker[Session]) -> MailDecision:
        """Gather the facts, let `plan_mail` decide, carry the plan out."""
        desk = self._desk(sessions)
        mail = read.mail
        if mail is None:
            plan = plan_mail(MailFacts(problem=read.problem))
            desk.quarantine(self._raw_incoming(read.raw), read.problem)
            return MailDecision(plan.action, plan.reason)
        facts, reference = self._facts(read, mail, sessions)
        plan = plan_mail(facts)
        result, language = read.classification, read.language
        intent = result.intent if result else None
        if plan.step is MailStep.NOTHING:
            return MailDecision(plan.action, plan.reason)
        incoming = self._incoming(mail, language)
        thread = MailThread(mail.message_id, " ".join(mail.references) or None)
        if plan.step is MailStep.KEEP:
            # Not answered, not machine mail: a person still sees it, on its ticket or with the reason.
            desk.hold_for_staff(incoming, plan.staff_reason or plan.reason, ACTOR, reference)
            return MailDecision(plan.action, plan.reason, intent, reference, language=language.value)
        assert result is not None  # every other step follows a classification
        if plan.step is MailStep.CHECK_CODE and reference:
            outcome = desk.check_code(reference, read.new_text, channel=Channel.EMAIL, language=language, actor=ACTOR,
                                      incoming=incoming, thread=thread)
            return MailDecision(plan.action, f"{plan.reason}: {outcome.code_check}", ticket=reference,
                                missing_details=[d.value for d in outcome.missing], language=language.value,
                                queued=outcome.queued_mail)
        if plan.step is MailStep.ADD_DETAILS and reference:
            outcome = desk.add_details(reference, result.entities, channel=Channel.EMAIL, language=language,
                                       actor=ACTOR, incoming=incoming, thread=thread)
            return self._decision(plan.action, plan.reason, result, outcome, language)
        if plan.step is MailStep.FOLLOWUP and reference:
            desk.record_followup(reference, incoming, ACTOR)
            return MailDecision(plan.action, plan.reason, ticket=reference, language=language.value)
        if plan.step is MailStep.ANSWER and plan.topic is not None:
            outcome = desk.answer_by_mail(plan.topic, to=self._customer(mail), language=language, actor=ACTOR,
                                          incoming=incoming, thread=thread, customer_name=result.entities.get("name"))
            return self._decision(plan.action, plan.reason, result, outcome, language)
        assert plan.step is MailStep.OPEN and plan.kind is not None, plan
        details = {**result.entities, "email": self._customer(mail)}
        if "name" not in details and mail.from_name:
            details["name"] = mail.from_name
        outcome = desk.open_request(kind=plan.kind, details=details, channel=Channel.EMAIL, language=language,
                                    actor=ACTOR, incoming=incoming, intent=result.intent,
                                    confidence=result.confidence, thread=thread)
        return self._decision(plan.action, plan.reason, result, outcome, language)

    def _facts(self, read: ReadMail, mail: ParsedMail, sessions: sessionmaker[Session]) -> tuple[MailFacts, str | None]:
        """What the decision needs from the store, read in one session; and the reference of the mail's ticket."""
        with sessions() as session:
            tickets = TicketService(session, self.pack, self.clock)
            seen = bool(mail.message_id and tickets.message_seen(mail.message_id))
            # Machine mail is never answered: no need to look for its ticket or count replies.
            settled = seen or (read.no_reply is not None and read.own is None)
            ticket = None if settled else self._thread(tickets, mail)
            since = self.clock() - timedelta(days=1)
            replies = 0 if settled else tickets.replies_sent_to(self._customer(mail), since)
            result = read.classification
            facts = MailFacts(
                seen_before=seen, own=read.own, machine=read.no_reply,
                ticket_status=TicketStatus(ticket.status) if ticket else None,
                has_code=find_code(read.new_text) is not None,
                said_something=read.said_something,
                intent=result.intent if result else None, uncertain=bool(result and result.uncertain),
                replies_today=replies)
            return facts, ticket.reference if ticket else None

    # -- small helpers -------------------------------------------------------------------------------------

    def _desk(self, sessions: sessionmaker[Session]) -> Desk:
        return Desk(sessions, self.pack, self.key, self.mail_from, self.renderer, clock=self.clock)

    def _thread(self, tickets: TicketService, mail: ParsedMail) -> Ticket | None:
        reference = find_reference(mail.subject or "")
        if reference:
            ticket = tickets.find(reference)
            if ticket is not None:
                return ticket
        ids = [i for i in [mail.in_reply_to, *mail.references] if i]
        return tickets.ticket_for_message_ids(ids)

    @staticmethod
    def _customer(mail: ParsedMail) -> str:
        return mail.reply_to or mail.from_address or ""

    @staticmethod
    def _incoming(mail: ParsedMail, language: Language) -> IncomingMessage:
        return IncomingMessage(
            channel=Channel.EMAIL, body=mail.text, language=language, sender=mail.from_address,
            subject=mail.subject[:998], message_id=mail.message_id, in_reply_to=mail.in_reply_to,
            references=" ".join(mail.references) or None,
            meta={"attachments": [asdict(a) for a in mail.attachments], "html_only": mail.html_only,
                  "problems": mail.problems[:20]})

    @staticmethod
    def _raw_incoming(raw: bytes) -> IncomingMessage:
        return IncomingMessage(channel=Channel.EMAIL, body=raw.decode("utf-8", errors="replace")[:200_000],
                               language=Language.EN, meta={"raw_bytes": len(raw)})

    @staticmethod
    def _decision(action: str, reason: str, result: Classification, outcome: Outcome,
                  language: Language) -> MailDecision:
        return MailDecision(action, reason, result.intent, outcome.reference, [d.value for d in outcome.missing],
                            language=language.value, queued=outcome.queued_mail)

    @staticmethod
    def _reply_preview(session: Session, decision: MailDecision) -> dict[str, str] | None:
        """The reply this mail caused (queued in this transaction), as `mail process` shows it."""
        if not decision.queued:
            return None
        latest = session.get(Message, decision.queued[-1])
        if latest is None:
            return None
        return {"to": latest.recipient or "", "subject": latest.subject or "", "body": latest.body}
