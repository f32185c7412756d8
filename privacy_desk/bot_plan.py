"""The bot's steps as plans: open a request, take details, judge a code, answer a question, keep a message.

Chat actions and the mail channel share these. Each function takes what arrived and the facts it needs (the
ticket as it stands, the pack, the time) and returns a `Plan`; nothing here reads or writes the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from privacy_desk import decisions
from privacy_desk.languages import Language
from privacy_desk.messages import Delivery, IncomingMessage, MailThread
from privacy_desk.plan import (
    AddDetails,
    Change,
    CodeTried,
    ConfirmIdentity,
    KeepIncoming,
    OpenTicket,
    PendingCode,
    Plan,
    Reply,
    SetStatus,
    TicketState,
)
from privacy_desk.policy import Detail, PolicyPack, RequestKind, Topic
from privacy_desk.replies import Purpose, ReplyChannel
from privacy_desk.status import TicketStatus
from privacy_desk.verification import MAX_ATTEMPTS, CodeCheck, judge


def ticket_to_open(pack: PolicyPack, kind: RequestKind, details: Mapping[str, str | None], *, channel: str,
                   language: Language, now: datetime, intent: str | None = None,
                   confidence: float | None = None) -> OpenTicket:
    rule = pack.rule(kind)
    given = decisions.clean_details(details)
    return OpenTicket(kind=kind, channel=channel, language=language, details=given,
                      status=decisions.status_for(rule, given, identity_confirmed=False),
                      due_date=decisions.due_date(now, rule, pack.calendar), intent=intent, confidence=confidence)


def plan_open_request(pack: PolicyPack, kind: RequestKind, details: Mapping[str, str | None], *, channel: str,
                      language: Language, now: datetime, actor: str, incoming: IncomingMessage | None = None,
                      intent: str | None = None, confidence: float | None = None) -> Plan:
    opening = ticket_to_open(pack, kind, details, channel=channel, language=language, now=now, intent=intent,
                             confidence=confidence)
    missing = decisions.missing_details(pack.rule(kind), opening.details)
    changes: list[Change] = [opening, *_kept(incoming)]
    changes += replies_after(opening.status, channel, language, has_email=Detail.EMAIL in opening.details,
                             missing=missing, thread=_thread(incoming))
    return Plan(actor, None, tuple(changes), missing=tuple(missing))


def plan_add_details(pack: PolicyPack, ticket: TicketState, details: Mapping[str, str | None], *, channel: str,
                     language: Language, actor: str, incoming: IncomingMessage | None = None) -> Plan:
    """Details the customer sent: added where the ticket lacks them (a given one is never overwritten)."""
    added = {d: v for d, v in decisions.clean_details(details).items() if d not in ticket.details}
    merged = {**ticket.details, **added}
    changes: list[Change] = [*_kept(incoming)]
    if added:
        changes.append(AddDetails(added))
    # Even with nothing new, the customer answered: the ticket moves on if what it waited for is there.
    target = decisions.advanced_status(pack.rule(ticket.kind), ticket.status, merged, ticket.identity_confirmed)
    if target is not ticket.status:
        changes.append(SetStatus(target))
    elif target is not TicketStatus.AWAITING_DETAILS:
        return Plan(actor, ticket.reference, tuple(changes))
    missing = decisions.missing_details(pack.rule(ticket.kind), merged)
    changes += replies_after(target, channel, language, has_email=Detail.EMAIL in merged, missing=missing,
                             thread=_thread(incoming))
    return Plan(actor, ticket.reference, tuple(changes), missing=tuple(missing))


def plan_check_code(pack: PolicyPack, ticket: TicketState, pending: PendingCode | None, given_digest: str | None,
                    *, now: datetime, channel: str, language: Language, actor: str,
                    incoming: IncomingMessage | None = None) -> Plan:
    """A code the customer typed or mailed back, judged against the outstanding one."""
    changes: list[Change] = [*_kept(incoming)]
    if pending is None:
        return Plan(actor, ticket.reference, tuple(changes), code_check=CodeCheck.NO_CODE, attempts_left=0)
    outcome = judge(pending.digest, pending.attempts, pending.expires_at, now, given_digest)
    counted = outcome in {CodeCheck.WRONG, CodeCheck.LOCKED} and pending.attempts < MAX_ATTEMPTS
    attempts_left = max(0, MAX_ATTEMPTS - pending.attempts - int(counted))
    changes.append(CodeTried(outcome, counted))
    missing: list[Detail] = []
    if outcome is CodeCheck.CONFIRMED:
        changes.append(ConfirmIdentity(f"code by {pending.channel}"))
        rule = pack.rule(ticket.kind)
        target = decisions.advanced_status(rule, ticket.status, ticket.details, identity_confirmed=True)
        if target is not ticket.status:
            changes.append(SetStatus(target))
        missing = decisions.missing_details(rule, ticket.details)
        changes += replies_after(target, channel, language, has_email=ticket.email is not None, missing=missing,
                                 thread=_thread(incoming))
    elif outcome is CodeCheck.EXPIRED and ticket.email:
        changes.append(Reply(Purpose.VERIFY_IDENTITY, ReplyChannel.EMAIL, language, thread=_thread(incoming),
                             with_code=True, code_via=channel))
    return Plan(actor, ticket.reference, tuple(changes), missing=tuple(missing), code_check=outcome,
                attempts_left=attempts_left)


def plan_answer_by_mail(topic: Topic, *, to: str, language: Language, actor: str, incoming: IncomingMessage,
                        customer_name: str | None = None) -> Plan:
    """A policy question by mail: the pack's answer; no ticket, there is nothing to act on."""
    return Plan(actor, None, (
        KeepIncoming(incoming, on_ticket=False),
        Reply(Purpose.ANSWER, ReplyChannel.EMAIL, language, recipient=to, thread=incoming.thread, topic=topic,
              customer_name=customer_name, original_subject=incoming.subject),
    ))


def plan_followup(ticket: TicketState, incoming: IncomingMessage, actor: str) -> Plan:
    """A customer's message on a ticket that waits for staff: kept in the thread, nothing sent."""
    return Plan(actor, ticket.reference, (KeepIncoming(incoming, event="customer_replied"),))


def plan_keep(incoming: IncomingMessage, reason: str, actor: str, *, ticket: TicketState | None = None,
              delivery: Delivery = Delivery.HELD) -> Plan:
    """A message nobody is answered for: on its ticket when it has one, else on its own with the reason."""
    if ticket is not None:
        return Plan(actor, ticket.reference, (KeepIncoming(incoming, reason=reason, event="mail_kept"),))
    return Plan(actor, None, (KeepIncoming(incoming, on_ticket=False, delivery=delivery, reason=reason),))


def replies_after(status: TicketStatus, channel: str, language: Language, *, has_email: bool,
                  missing: list[Detail], thread: MailThread) -> list[Change]:
    """The replies `decisions.replies_for` names, with what each needs."""
    return [Reply(r.purpose, r.channel, language, thread=thread, with_code=r.with_code,
                  code_via=channel if r.with_code else "email",
                  missing=tuple(missing) if r.purpose is Purpose.ASK_DETAILS else ())
            for r in decisions.replies_for(status, channel, has_email)]


def _kept(incoming: IncomingMessage | None) -> list[Change]:
    return [KeepIncoming(incoming)] if incoming is not None else []


def _thread(incoming: IncomingMessage | None) -> MailThread:
    return incoming.thread if incoming is not None else MailThread()
