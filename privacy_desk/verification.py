"""One-time codes that confirm a request comes from the owner of the email address given.

The decisions (is this code right, expired, locked?) are pure; `Verifier` records them on a ticket.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from privacy_desk.models import Ticket, Verification
from privacy_desk.tickets import TicketService

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=30)
MAX_ATTEMPTS = 5
_CODE_IN_TEXT = re.compile(rf"(?<![\d-])(\d{{{CODE_DIGITS}}})(?![\d-])")


class CodeCheck(StrEnum):
    CONFIRMED = "confirmed"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"  # too many wrong tries: staff confirm identity by hand
    NO_CODE = "no_code"  # nothing outstanding for this ticket


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(key: bytes, ticket_id: int, code: str) -> str:
    return hmac.new(key, f"{ticket_id}:{code}".encode(), hashlib.sha256).hexdigest()


def find_code(text: str) -> str | None:
    """The code in what the customer typed or replied ('my code is ４８２９１３' counts too)."""
    match = _CODE_IN_TEXT.search(unicodedata.normalize("NFKC", text))
    return match.group(1) if match else None


def judge(expected_digest: str, attempts: int, expires_at: datetime, now: datetime,
          given_digest: str | None) -> CodeCheck:
    if attempts >= MAX_ATTEMPTS:
        return CodeCheck.LOCKED
    if now > expires_at:
        return CodeCheck.EXPIRED
    if given_digest is not None and hmac.compare_digest(expected_digest, given_digest):
        return CodeCheck.CONFIRMED
    return CodeCheck.LOCKED if attempts + 1 >= MAX_ATTEMPTS else CodeCheck.WRONG


@dataclass(frozen=True)
class CodeResult:
    outcome: CodeCheck
    attempts_left: int


class Verifier:
    def __init__(self, tickets: TicketService, key: bytes) -> None:
        self.tickets = tickets
        self.key = key

    @property
    def session(self) -> Session:
        return self.tickets.session

    def issue(self, ticket: Ticket, channel: str, actor: str) -> str:
        """A fresh code for the ticket (older ones stop working). The caller mails it in the same transaction."""
        now = self.tickets.clock()
        self.session.execute(update(Verification).where(Verification.ticket_id == ticket.id,
                                                        Verification.confirmed_at.is_(None))
                             .values(superseded=True))
        code = new_code()
        self.session.add(Verification(ticket_id=ticket.id, channel=channel, attempts=0, superseded=False,
                                      code_hash=code_digest(self.key, ticket.id, code),
                                      expires_at=now + CODE_LIFETIME, created_at=now))
        self.tickets.record_event(ticket, actor, "verification_sent", {"channel": channel})
        return code

    def outstanding(self, ticket: Ticket) -> Verification | None:
        return self.session.scalar(select(Verification).where(
            Verification.ticket_id == ticket.id, Verification.superseded.is_(False),
            Verification.confirmed_at.is_(None)).order_by(Verification.id.desc()).limit(1))

    def check(self, ticket: Ticket, text: str, actor: str) -> CodeResult:
        pending = self.outstanding(ticket)
        if pending is None:
            return CodeResult(CodeCheck.NO_CODE, 0)
        code = find_code(text)
        now = self.tickets.clock()
        outcome = judge(pending.code_hash, pending.attempts, pending.expires_at, now,
                        code_digest(self.key, ticket.id, code) if code else None)
        if outcome in {CodeCheck.WRONG, CodeCheck.LOCKED} and pending.attempts < MAX_ATTEMPTS:
            pending.attempts += 1
        if outcome is CodeCheck.CONFIRMED:
            pending.confirmed_at = now
            self.tickets.confirm_identity(ticket, actor, method=f"code by {pending.channel}")
        else:
            self.tickets.record_event(ticket, actor, "verification_failed", {"outcome": outcome.value})
        return CodeResult(outcome, max(0, MAX_ATTEMPTS - pending.attempts))
