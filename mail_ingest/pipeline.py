"""One mail, from raw bytes to a decision and its queued reply. The email channel's whole flow is here.

    read:   parse -> our own mail? machine mail? -> classify                      (no database)
    record: facts from the store (seen before? its ticket? replies today?)
            -> plan_mail: which step (pure, privacy_desk/mail_plan.py)
            -> mail_step_plan: the step's changes and replies (pure, privacy_desk/bot_plan.py)
            -> Applier.apply: written, with the mailbox position, in one transaction

`read` touches no database, so the poller runs it for the next mails while the current one commits. With
`dry_run` the same work is done and rolled back, so `mail process --dry-run` shows exactly what would happen.
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
from privacy_desk import bot_plan
from privacy_desk.apply import Applier
from privacy_desk.attachments import AdmittedFile, AttachmentFile, AttachmentLimits, admit, refused_names
from privacy_desk.classify import Classification
from privacy_desk.decisions import find_reference
from privacy_desk.errors import N_
from privacy_desk.languages import Language, detect_language
from privacy_desk.mail_plan import ArrivedMail, MailFacts, MailStep, TypedCode, mail_step_plan, plan_mail
from privacy_desk.mailbox_state import MailboxPosition, record_position
from privacy_desk.mailtext import customer_words, split_mail_text, subject_words
from privacy_desk.messages import Channel, Delivery, IncomingMessage, utcnow
from privacy_desk.models import Message, Ticket
from privacy_desk.own_mail import answers_our_mail
from privacy_desk.policy import PolicyPack
from privacy_desk.replies import ReplyRenderer
from privacy_desk.staff_notices import DEFAULT_STAFF_APP_URL
from privacy_desk.status import TicketStatus
from privacy_desk.tickets import TicketService
from privacy_desk.verification import find_code, typed_digest

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
    attachments: tuple[AdmittedFile, ...] = ()  # each stored or refused under the size limits


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
                 own_addresses: Iterable[str] = (), clock: Callable[[], datetime] = utcnow,
                 attachment_limits: AttachmentLimits | None = None,
                 staff_app_url: str = DEFAULT_STAFF_APP_URL) -> None:
        self.engine = engine
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.pack = pack
        self.key = key
        self.mail_from = mail_from.lower()
        self.classifier = classifier
        self.own_addresses = {a.lower() for a in own_addresses} | {self.mail_from}
        self.clock = clock
        self.attachment_limits = attachment_limits or AttachmentLimits()
        # One renderer for the pipeline's life: Jinja compiles each template once and keeps it, instead of
        # compiling every template again for every mail.
        self.applier = Applier(pack, key, self.mail_from, ReplyRenderer(), clock, self.attachment_limits,
                              staff_app_url)

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
        files = admit([AttachmentFile(a.filename, a.content_type, a.data) for a in mail.attachments],
                      self.attachment_limits)
        return ReadMail(raw, mail, "", new_text, language, reason, own, said, classification, tuple(files))

    def _own(self, mail: ParsedMail, new_text: str) -> str | None:
        if mail.from_address and mail.from_address.lower() in self.own_addresses:
            return N_("sent from our own address")
        if answers_our_mail([mail.in_reply_to, *mail.references], self.mail_from) \
                and not customer_words(new_text):
            return N_("our own mail come back with nothing new in it")
        return None

    def record(self, read: ReadMail, position: MailboxPosition | None = None, dry_run: bool = False) -> MailDecision:
        """Decide and commit one read mail, with the mailbox position, in one transaction."""
        with self.sessions() as session:
            decision = self._decide(session, read)
            if position is not None:
                record_position(session, position, self.clock())
            decision.reply = self._reply_preview(session, decision)
            if dry_run:
                session.rollback()
            else:
                session.commit()
            return decision

    def quarantine(self, raw: bytes, reason: str, position: MailboxPosition | None = None) -> MailDecision:
        """Keep a message whose processing failed, with the reason, and move past it."""
        with self.sessions.begin() as session:
            self.applier.apply(session, bot_plan.plan_keep(self._raw_incoming(raw), reason, ACTOR,
                                                           delivery=Delivery.QUARANTINED))
            if position is not None:
                record_position(session, position, self.clock())
        return MailDecision("quarantined", reason)

    # -- the flow ------------------------------------------------------------------------------------------

    def _decide(self, session: Session, read: ReadMail) -> MailDecision:
        """Gather the facts, let `plan_mail` decide the step, apply the step's plan."""
        tickets = TicketService(session, self.pack, self.clock)
        mail = read.mail
        facts, ticket, code = self._facts(tickets, read)
        step = plan_mail(facts)
        result = read.classification
        arrived = ArrivedMail(
            incoming=self._incoming(mail, read.language, read.attachments) if mail else self._raw_incoming(read.raw),
            customer=self._customer(mail) if mail else "", from_name=mail.from_name if mail else None,
            entities=result.entities if result else {}, intent=result.intent if result else None,
            confidence=result.confidence if result else None, language=read.language)
        plan = mail_step_plan(step, arrived, tickets.state(ticket) if ticket else None, code, pack=self.pack,
                              now=self.clock(), actor=ACTOR)
        if plan is None:
            return MailDecision(step.action, step.reason)
        applied = self.applier.apply(session, plan)
        reason = f"{step.reason}: {plan.code_check}" if step.step is MailStep.CHECK_CODE else step.reason
        return MailDecision(step.action, reason, arrived.intent if step.step is not MailStep.QUARANTINE else None,
                            applied.reference, [d.value for d in plan.missing],
                            language=read.language.value if mail else None, queued=applied.queued_mail)

    def _facts(self, tickets: TicketService, read: ReadMail) -> tuple[MailFacts, Ticket | None, TypedCode]:
        """What the decision needs from the store: seen before? the mail's ticket? replies to its sender today?"""
        mail = read.mail
        if mail is None:
            return MailFacts(problem=read.problem), None, TypedCode(None, None)
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
            replies_today=replies, refused_files=refused_names(read.attachments))
        code = TypedCode(tickets.pending_code(ticket), typed_digest(self.key, ticket.id, read.new_text)) \
            if ticket is not None and facts.has_code else TypedCode(None, None)
        return facts, ticket, code

    # -- small helpers -------------------------------------------------------------------------------------

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
    def _incoming(mail: ParsedMail, language: Language, files: tuple[AdmittedFile, ...]) -> IncomingMessage:
        # The files themselves are rows of their own (models.Attachment), stored or refused.
        return IncomingMessage(
            channel=Channel.EMAIL, body=mail.text, language=language, sender=mail.from_address,
            subject=mail.subject[:998], message_id=mail.message_id, in_reply_to=mail.in_reply_to,
            references=" ".join(mail.references) or None,
            meta={"html_only": mail.html_only, "problems": mail.problems[:20]}, attachments=files)

    @staticmethod
    def _raw_incoming(raw: bytes) -> IncomingMessage:
        return IncomingMessage(channel=Channel.EMAIL, body=raw.decode("utf-8", errors="replace")[:200_000],
                               language=Language.EN, meta={"raw_bytes": len(raw)})

    @staticmethod
    def _reply_preview(session: Session, decision: MailDecision) -> dict[str, str] | None:
        """The reply this mail caused (queued in this transaction), as `mail process` shows it."""
        if not decision.queued:
            return None
        latest = session.get(Message, decision.queued[-1])
        if latest is None:
            return None
        return {"to": latest.recipient or "", "subject": latest.subject or "", "body": latest.body}
