"""Staff corrections as proposed NLU training examples, and the accepted ones as Rasa training data.

When staff change a ticket's kind, or say a mail was misread, the customer's words (masked: `masking.py`) and the
intent staff chose are kept as a proposal. Nothing is trained on until a person accepts it; `nlu corrections
--write` writes the accepted ones to intents/<language>/corrections.yml, which Rasa trains on with the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from privacy_desk.classify import BUSINESS_INTENTS
from privacy_desk.decisions import REQUEST_INTENTS
from privacy_desk.errors import N_, PrivacyDeskError
from privacy_desk.masking import KnownValues, mask
from privacy_desk.messages import Clock, utcnow
from privacy_desk.models import Message, NluCorrection, Ticket
from privacy_desk.policy import RequestKind
from privacy_desk.tickets import add_event

CORRECTIONS_FILE = "corrections.yml"
_BRACKET_THEN_ANNOTATION = re.compile(r"\]([({])")
MAX_EXAMPLE = 2000  # characters: a training example is a message's opening, not a pasted log

INTENT_FOR_KIND: dict[RequestKind, str] = {kind: intent for intent, kind in REQUEST_INTENTS.items()}

# What a placeholder becomes in training data: an invented value on a reserved domain, annotated as the entity,
# so the model keeps learning where details sit without ever seeing a customer's.
STAND_INS: dict[str, dict[str, str]] = {
    "en": {"name": "Alex Morgan", "email": "someone@example.com", "phone": "03-0000-0000",
           "member_number": "M-000000", "address": "1-2-3 Example-cho, Chiyoda-ku, Tokyo", "company": "Example Ltd."},
    "ja": {"name": "山田太郎", "email": "someone@example.jp", "phone": "03-0000-0000",
           "member_number": "M-000000", "address": "東京都千代田区例町1-2-3", "company": "例株式会社"},
}


class CorrectionState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class CorrectionError(PrivacyDeskError):
    """A correction cannot be recorded or decided as asked."""


# -- pure ----------------------------------------------------------------------------------------------------

def known_values(ticket: Ticket | None, sender: str | None = None) -> KnownValues:
    if ticket is None:
        return KnownValues(email=sender)
    return KnownValues(name=ticket.name, email=ticket.email or sender, phone=ticket.phone,
                       member_number=ticket.member_number, address=ticket.address, company=ticket.company)


def example_text(masked: str, language: str) -> str:
    """One line of training text: placeholders become annotated stand-ins, whitespace one space."""
    stand_ins = STAND_INS.get(language, STAND_INS["en"])
    # The customer's own brackets ("[link](https://...)") must not read as Rasa entity annotations.
    line = _BRACKET_THEN_ANNOTATION.sub(r"] \1", " ".join(masked.split()))
    line = line.replace("[reference]", "PRQ-2026-000001")
    for label, value in stand_ins.items():
        line = line.replace(f"[{label}]", f"[{value}]({label})")
    return line


def corrections_yaml(examples: Iterable[tuple[str, str]], language: str) -> str:
    """Rasa NLU YAML ("3.1") for (intent, masked text) pairs: one block per intent, sorted, no repeats."""
    by_intent: dict[str, list[str]] = {}
    for intent, text in examples:
        line = example_text(text, language)
        if line and line not in by_intent.setdefault(intent, []):
            by_intent[intent].append(line)
    blocks = [{"intent": intent, "examples": "".join(f"- {line}\n" for line in lines)}
              for intent, lines in sorted(by_intent.items()) if lines]
    header = ("# Written by `privacy-desk nlu corrections --write` from staff corrections that a person accepted;\n"
              "# customer details are masked and replaced by invented values. Do not edit: accept or reject instead.\n")
    body = yaml.dump({"version": "3.1", "nlu": blocks}, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False,
                     width=10_000)
    return header + body


class _LiteralDumper(yaml.SafeDumper):
    """Examples as a literal block (`examples: |`), as Rasa's own files have them."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _represent_str)


def comparable(text: str) -> str:
    return " ".join(text.lower().split())


# -- the store -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Proposal:
    source: str  # kind_changed | misread
    text: str
    language: str
    intent: str
    previous_intent: str | None
    ticket: Ticket | None = None
    message: Message | None = None


class Corrections:
    """Proposed examples. Never commits: the caller owns the transaction (the correction goes with its change)."""

    def __init__(self, session: Session, clock: Clock = utcnow) -> None:
        self.session = session
        self.clock = clock

    def propose_for_kind_change(self, ticket: Ticket, kind: RequestKind, actor: str) -> NluCorrection | None:
        """The ticket's first message from the customer as an example of the new kind; None when it has none."""
        first = next((m for m in ticket.messages if m.direction == "in" and (m.body.strip() or m.subject)), None)
        if first is None:
            return None  # e.g. a chat ticket: the conversation is Rasa's, not a message here
        text = first.body if first.body.strip() else first.subject or ""
        return self._add(Proposal("kind_changed", text, ticket.language, INTENT_FOR_KIND[kind], ticket.intent,
                                  ticket=ticket, message=first), actor)

    def propose_misread(self, message_id: int, intent: str, actor: str) -> NluCorrection:
        """A mail the classifier misread (answered as the wrong question, or left for staff) and what it was."""
        if intent not in BUSINESS_INTENTS:
            raise CorrectionError(N_("unknown intent {intent!r}"), intent=intent)
        message = self.session.get(Message, message_id)
        if message is None or message.direction != "in" or not (message.body.strip() or message.subject):
            raise CorrectionError(N_("no customer message {number}"), number=message_id)
        text = message.body if message.body.strip() else message.subject or ""
        previous = (message.meta or {}).get("intent")
        return self._add(Proposal("misread", text, message.language, intent,
                                  previous if isinstance(previous, str) else None,
                                  ticket=message.ticket, message=message), actor)

    def _add(self, proposal: Proposal, actor: str) -> NluCorrection:
        if proposal.message is not None:
            pending = self.session.scalar(select(NluCorrection).where(
                NluCorrection.message_id == proposal.message.id,
                NluCorrection.state == CorrectionState.PROPOSED.value))
            if pending is not None:
                # Staff changed their mind before anyone decided: the latest word is the proposal, not a second one.
                pending.intent, pending.proposed_by, pending.source = proposal.intent, actor[:120], proposal.source
                add_event(self.session, proposal.ticket, actor, "correction_revised",
                          {"correction": pending.id, "intent": proposal.intent}, self.clock())
                return pending
        masked = mask(proposal.text[:MAX_EXAMPLE], known_values(proposal.ticket, proposal.message.sender
                                                                 if proposal.message else None))
        row = NluCorrection(source=proposal.source, ticket=proposal.ticket, message=proposal.message,
                            language=proposal.language, text=masked, intent=proposal.intent,
                            previous_intent=proposal.previous_intent, state=CorrectionState.PROPOSED,
                            proposed_by=actor[:120], created_at=self.clock())
        self.session.add(row)
        self.session.flush()
        # The audit names the proposal, not its text.
        add_event(self.session, proposal.ticket, actor, "correction_proposed",
                  {"correction": row.id, "intent": proposal.intent, "source": proposal.source}, self.clock())
        return row

    def listed(self, state: CorrectionState | None = None) -> list[NluCorrection]:
        query = select(NluCorrection).order_by(NluCorrection.id)
        if state is not None:
            query = query.where(NluCorrection.state == state.value)
        return list(self.session.scalars(query))

    def decide(self, correction_id: int, accept: bool, actor: str) -> NluCorrection:
        row = self.session.get(NluCorrection, correction_id)
        if row is None:
            raise CorrectionError(f"no correction {correction_id}")
        row.state = CorrectionState.ACCEPTED if accept else CorrectionState.REJECTED
        row.decided_by, row.decided_at = actor[:120], self.clock()
        add_event(self.session, None, actor, "correction_accepted" if accept else "correction_rejected",
                  {"correction": row.id, "intent": row.intent}, self.clock())
        return row

    def accepted_by_language(self) -> dict[str, list[tuple[str, str]]]:
        found: dict[str, list[tuple[str, str]]] = {}
        for row in self.listed(CorrectionState.ACCEPTED):
            found.setdefault(row.language, []).append((row.intent, row.text))
        return found


_ANNOTATED = re.compile(r"\[([^\]]+)\]\([a-z_]+\)")


def without_overlap(examples: Iterable[tuple[str, str]], language: str,
                    held_out: Iterable[str], trained: Iterable[str]) -> tuple[list[tuple[str, str]], int]:
    """The examples whose text is neither in a held-out set (it would spoil the figures) nor already trained on;
    and how many were left out."""
    barred = {comparable(t) for t in held_out} | {comparable(t) for t in trained}
    kept: list[tuple[str, str]] = []
    dropped = 0
    for intent, text in examples:
        plain = comparable(_ANNOTATED.sub(r"\1", example_text(text, language)))
        if plain in barred:
            dropped += 1
        else:
            kept.append((intent, text))
    return kept, dropped


def files_to_write(accepted: Mapping[str, list[tuple[str, str]]]) -> dict[str, str]:
    """language -> the content of intents/<language>/corrections.yml (empty languages write nothing)."""
    return {language: corrections_yaml(examples, language) for language, examples in sorted(accepted.items())
            if examples}
