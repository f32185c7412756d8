"""One-time codes that confirm a request comes from the owner of the email address given.

Pure: the decisions (is this code right, expired, locked?) and the digest that the store keeps instead of the code.
The store side (issuing a code, counting tries) is `TicketService.issue_code` / `record_code_try`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from enum import StrEnum

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


def typed_digest(key: bytes, ticket_id: int, text: str) -> str | None:
    """The digest of the code in what the customer typed, to judge against the stored one (None: no code)."""
    code = find_code(text)
    return code_digest(key, ticket_id, code) if code else None


def judge(expected_digest: str, attempts: int, expires_at: datetime, now: datetime,
          given_digest: str | None) -> CodeCheck:
    if attempts >= MAX_ATTEMPTS:
        return CodeCheck.LOCKED
    if now > expires_at:
        return CodeCheck.EXPIRED
    if given_digest is not None and hmac.compare_digest(expected_digest, given_digest):
        return CodeCheck.CONFIRMED
    return CodeCheck.LOCKED if attempts + 1 >= MAX_ATTEMPTS else CodeCheck.WRONG
