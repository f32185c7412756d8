"""What to do with one mail: a pure decision over what the mail says and what the store knows about it.

The mail channel gathers the facts (parsing, classification, and three look-ups: seen before? which ticket?
how many replies to this sender today?), asks `plan_mail` which step to take, turns the step into a `Plan` with
`mail_step_plan`, and has the plan applied in one transaction. Every branch of the email channel's decision tree
is here, and is tested without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from privacy_desk import bot_plan
from privacy_desk.decisions import kind_for_intent, topic_for_intent
from privacy_desk.errors import N_
from privacy_desk.languages import Language
from privacy_desk.messages import Channel, Delivery, IncomingMessage
from privacy_desk.plan import PendingCode, Plan, Reply, TicketState
from privacy_desk.policy import PolicyPack, RequestKind, Topic
from privacy_desk.replies import Purpose, ReplyChannel
from privacy_desk.status import TicketStatus

# At most this many automatic replies to one address a day: a flood gets kept for staff, not answered.
REPLY_LIMIT_PER_DAY = 5
# Stored as the kept mail's reason and translated where staff read it, so it is one fixed message.
REPLY_LIMIT_REACHED = N_("reply limit reached for this sender: no more automatic replies today")


class MailStep(StrEnum):
    QUARANTINE = "quarantine"  # cannot be read: kept as received, with the problem
    NOTHING = "nothing"  # seen before (same Message-ID), or machine mail: never answered, nothing kept
    KEEP = "keep"  # not answered: kept for staff with the reason (on its ticket when it has one)
    CHECK_CODE = "check_code"  # a one-time code for the ticket waiting for it
    ADD_DETAILS = "add_details"  # details the ticket still waits for
    FOLLOWUP = "followup"  # a reply on a ticket that waits for staff: on the thread, nothing sent
    ANSWER = "answer"  # a policy question: the pack's answer
    OPEN = "open"  # a request: a new ticket


@dataclass(frozen=True)
class MailFacts:
    problem: str | None = None  # why it could not be parsed
    seen_before: bool = False
    own: str | None = None  # why it is our own mail
    machine: str | None = None  # why it is machine mail (RFC 3834 and the signs mail systems leave)
    ticket_status: TicketStatus | None = None  # of the ticket it threads to; None: no ticket
    has_code: bool = False  # the new text holds something shaped like a one-time code
    said_something: bool = True  # the body's own words, or the subject's, say anything at all
    intent: str | None = None
    uncertain: bool = False  # the model's own answer was no intent the mail channel acts on
    replies_today: int = 0  # automatic replies to this sender in the last day
    refused_files: tuple[str, ...] = ()  # attachments over a size limit (attachments.admit)


@dataclass(frozen=True)
class MailPlan:
    step: MailStep
    action: str  # what `mail process` reports: opened | followup | answered | ignored | quarantined
    reason: str
    kind: RequestKind | None = None
    topic: Topic | None = None
    staff_reason: str | None = None  # KEEP: the reason staff see beside the kept mail (a msgid)
    refused_files: tuple[str, ...] = ()  # files the step's first reply says we did not accept


# Steps that answer the customer, so their first reply can say which files we did not accept; a reply on a
# ticket that waits for staff gets a reply of its own saying so. Mail kept for staff or never answered gets no
# word from us: a person reads it, and sees its refused files, first.
_ANSWERING = frozenset({MailStep.OPEN, MailStep.ANSWER, MailStep.ADD_DETAILS, MailStep.CHECK_CODE})


def plan_mail(f: MailFacts) -> MailPlan:
    step = _plan_step(f)
    flood = f.replies_today >= REPLY_LIMIT_PER_DAY
    if f.refused_files and (step.step in _ANSWERING or (step.step is MailStep.FOLLOWUP and not flood)):
        return replace(step, refused_files=f.refused_files)
    return step


def _plan_step(f: MailFacts) -> MailPlan:
    if f.problem is not None:
        return MailPlan(MailStep.QUARANTINE, "quarantined", f"cannot parse: {f.problem}")
    if f.seen_before:
        return MailPlan(MailStep.NOTHING, "ignored", "already processed (same Message-ID)")
    if f.own:
        return MailPlan(MailStep.KEEP, "ignored", f"{f.own}: kept for staff, not answered", staff_reason=f.own)
    if f.machine:
        return MailPlan(MailStep.NOTHING, "ignored", f"not answered automatically: {f.machine}")
    flood = f.replies_today >= REPLY_LIMIT_PER_DAY
    if f.ticket_status is not None:
        return _followup(f, flood)
    kind, topic = kind_for_intent(f.intent or ""), topic_for_intent(f.intent or "")

    def keep(reason: str) -> MailPlan:
        return MailPlan(MailStep.KEEP, "ignored", f"{reason}: kept for staff", staff_reason=reason)

    if not f.said_something:
        return keep(N_("no text to act on"))
    if f.uncertain:
        # A person reads what the model cannot place; a wrong automatic ticket or answer helps no one.
        return keep(N_("unclear to the classifier"))
    if kind is None and topic is None:
        return keep(N_("not a privacy matter"))
    if flood:
        return keep(REPLY_LIMIT_REACHED)
    if topic is not None:
        return MailPlan(MailStep.ANSWER, "answered", f"policy question ({topic.value})", topic=topic)
    assert kind is not None
    return MailPlan(MailStep.OPEN, "opened", f"{kind.value} request", kind=kind)


def _followup(f: MailFacts, flood: bool) -> MailPlan:
    if f.ticket_status is TicketStatus.AWAITING_VERIFICATION and f.has_code:
        return MailPlan(MailStep.CHECK_CODE, "followup", "identity code")
    if f.ticket_status in {TicketStatus.AWAITING_DETAILS, TicketStatus.AWAITING_VERIFICATION} and not flood:
        return MailPlan(MailStep.ADD_DETAILS, "followup", "details from the customer's reply")
    return MailPlan(MailStep.FOLLOWUP, "followup", "customer's reply added to the ticket for staff")



@dataclass(frozen=True)
class ArrivedMail:
    """What a readable mail brings to its plan."""

    incoming: IncomingMessage
    customer: str  # where an answer goes: Reply-To, else From
    from_name: str | None
    entities: Mapping[str, str]
    intent: str | None
    confidence: float | None
    language: Language


@dataclass(frozen=True)
class TypedCode:
    """For CHECK_CODE: the code the ticket waits for, and the digest of the one in the mail."""

    pending: PendingCode | None
    digest: str | None


def mail_step_plan(step: MailPlan, mail: ArrivedMail, ticket: TicketState | None, code: TypedCode, *,
                   pack: PolicyPack, now: datetime, actor: str) -> Plan | None:
    """The changes a mail step makes (None: nothing to store)."""
    plan = _step_plan(step, mail, ticket, code, pack=pack, now=now, actor=actor)
    if plan is None or not step.refused_files:
        return plan
    # Like every reply on a ticket, to the ticket's own address (a ticket without one is told nothing).
    own = Reply(Purpose.ATTACHMENT_REFUSED, ReplyChannel.EMAIL, mail.language, thread=mail.incoming.thread) \
        if ticket is not None and ticket.email else None
    return with_refusal_notice(plan, step.refused_files, own)


def with_refusal_notice(plan: Plan, refused: tuple[str, ...], own_reply: Reply | None) -> Plan:
    """The plan with its first mailed reply saying which files we did not accept; a plan on a ticket that mails
    nothing gets `own_reply` to say it (with neither, it stays as it is: staff see the files on the message)."""
    changes = list(plan.changes)
    for i, change in enumerate(changes):
        if isinstance(change, Reply) and change.channel is ReplyChannel.EMAIL:
            changes[i] = replace(change, refused_files=refused)
            return replace(plan, changes=tuple(changes))
    if plan.reference is None or own_reply is None:
        return plan
    return replace(plan, changes=(*changes, replace(own_reply, refused_files=refused)))


def _step_plan(step: MailPlan, mail: ArrivedMail, ticket: TicketState | None, code: TypedCode, *,
               pack: PolicyPack, now: datetime, actor: str) -> Plan | None:
    language, incoming = mail.language, mail.incoming
    if step.step is MailStep.NOTHING:
        return None
    if step.step is MailStep.KEEP:
        # Not answered, not machine mail: a person still sees it, on its ticket or with the reason.
        return bot_plan.plan_keep(incoming, step.staff_reason or step.reason, actor, ticket=ticket)
    if step.step is MailStep.QUARANTINE:
        return bot_plan.plan_keep(incoming, step.reason, actor, delivery=Delivery.QUARANTINED)
    if step.step is MailStep.ANSWER and step.topic is not None:
        return bot_plan.plan_answer_by_mail(step.topic, to=mail.customer, language=language, actor=actor,
                                            incoming=incoming, customer_name=mail.entities.get("name"))
    if step.step is MailStep.OPEN and step.kind is not None:
        details = {**mail.entities, "email": mail.customer}
        if "name" not in details and mail.from_name:
            details["name"] = mail.from_name
        return bot_plan.plan_open_request(pack, step.kind, details, channel=Channel.EMAIL, language=language,
                                          now=now, actor=actor, incoming=incoming, intent=mail.intent,
                                          confidence=mail.confidence)
    if ticket is None:
        raise ValueError(f"mail step {step.step.value} needs the mail's ticket")
    if step.step is MailStep.CHECK_CODE:
        return bot_plan.plan_check_code(pack, ticket, code.pending, code.digest, now=now, channel=Channel.EMAIL,
                                        language=language, actor=actor, incoming=incoming)
    if step.step is MailStep.ADD_DETAILS:
        return bot_plan.plan_add_details(pack, ticket, mail.entities, channel=Channel.EMAIL, language=language,
                                         actor=actor, incoming=incoming)
    return bot_plan.plan_followup(ticket, incoming, actor)
