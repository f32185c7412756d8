"""A plan: what one step does to the store, as plain data, decided before anything is written.

Every channel works the same way: read the facts (the ticket as it stands, the pack, the clock), let a pure
planner (`bot_plan.py` for chat and mail, `mail_plan.py` for which mail step, `staff_plan.py` for staff) return a
`Plan`, and hand it to `apply.Applier`, which carries out any plan in one transaction. A plan is a list of
changes applied in order; its replies are rendered from the ticket as the changes before them left it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from privacy_desk.attachments import AdmittedFile
from privacy_desk.languages import Language
from privacy_desk.messages import Delivery, IncomingMessage, MailThread
from privacy_desk.policy import Detail, PolicyPack, RequestKind, Topic
from privacy_desk.replies import Purpose, ReplyChannel, reply_context
from privacy_desk.status import TicketStatus
from privacy_desk.verification import CodeCheck


@dataclass(frozen=True)
class TicketState:
    """A ticket as it stands, as the planners see it."""

    reference: str
    kind: RequestKind
    status: TicketStatus
    language: Language
    channel: str
    details: Mapping[Detail, str]  # the details given, blank ones left out
    identity_confirmed: bool
    due_date: date
    created_at: datetime
    name: str | None = None

    @property
    def email(self) -> str | None:
        return self.details.get(Detail.EMAIL)

    def reply_context(self, pack: PolicyPack, channel: ReplyChannel, **extra: Any) -> dict[str, Any]:
        """What a reply template about this ticket sees (`replies.reply_context`, from the ticket's facts)."""
        return reply_context(pack, self.language, kind=self.kind, reference=self.reference, due=self.due_date,
                             identity_confirmed=self.identity_confirmed, customer_name=self.name, channel=channel,
                             **extra)


@dataclass(frozen=True)
class PendingCode:
    """The one-time code the ticket waits for: what judging a typed code needs."""

    digest: str
    attempts: int
    expires_at: datetime
    channel: str  # where the customer types it


# -- the changes -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenTicket:
    kind: RequestKind
    channel: str
    language: Language
    details: Mapping[Detail, str]
    status: TicketStatus
    due_date: date
    intent: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class KeepIncoming:
    """Store what the customer sent: on the plan's ticket, or on its own (a question, mail kept for staff)."""

    message: IncomingMessage
    on_ticket: bool = True
    delivery: Delivery = Delivery.RECEIVED
    reason: str | None = None  # why it was kept and not answered, shown to staff
    event: str | None = None  # an audit event naming the stored message ("customer_replied", "mail_kept")


@dataclass(frozen=True)
class AddDetails:
    fields: Mapping[Detail, str]  # only details the ticket lacks: a given one is never overwritten


@dataclass(frozen=True)
class SetStatus:
    to: TicketStatus
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConfirmIdentity:
    method: str


@dataclass(frozen=True)
class CodeTried:
    """A typed code was judged: count the try on the outstanding code, or mark it used."""

    outcome: CodeCheck
    counted: bool  # a wrong try that counts towards the limit


@dataclass(frozen=True)
class SetKind:
    kind: RequestKind
    due_date: date


@dataclass(frozen=True)
class Assign:
    assignee: str | None


@dataclass(frozen=True)
class Audit:
    """An audit event with nothing else to change. Details name fields and ids, never personal values."""

    action: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """A reply to show in the chat or to queue for the outbox.

    Bot replies are rendered from the pack's template when applied; staff replies carry their own (edited) text.
    A reply `with_code` issues a fresh one-time code and mails it.
    """

    purpose: Purpose
    channel: ReplyChannel
    language: Language
    recipient: str | None = None  # mail: the ticket's address unless given
    thread: MailThread = field(default_factory=MailThread)
    missing: tuple[Detail, ...] = ()  # ask_details: what to ask for
    topic: Topic | None = None  # answer: the question's topic (an answer needs no ticket)
    customer_name: str | None = None  # answer: how to address a customer without a ticket
    original_subject: str | None = None  # answer: the customer's subject, for ours
    with_code: bool = False
    code_via: str = "email"
    written: Written | None = None  # staff's own text; None: rendered from the pack's template
    event: Audit | None = None  # an audit event written with the queued message's id
    refused_files: tuple[str, ...] = ()  # files of the customer's mail we did not accept: the reply says so
    attachments: tuple[AdmittedFile, ...] = ()  # files staff attach to their reply


@dataclass(frozen=True)
class Written:
    subject: str
    body: str


Change = (OpenTicket | KeepIncoming | AddDetails | SetStatus | ConfirmIdentity | CodeTried | SetKind | Assign
          | Audit | Reply)


@dataclass(frozen=True)
class Plan:
    """What one step does. `reference`: the ticket it changes (None: it opens one, or touches none)."""

    actor: str
    reference: str | None
    changes: tuple[Change, ...]
    # What the channel reports back, decided with the plan.
    missing: tuple[Detail, ...] = ()
    code_check: CodeCheck | None = None
    attempts_left: int | None = None

    def status_after(self, before: TicketStatus | None) -> TicketStatus | None:
        status = before
        for change in self.changes:
            if isinstance(change, OpenTicket):
                status = change.status
            elif isinstance(change, SetStatus):
                status = change.to
        return status
