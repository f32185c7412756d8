"""Contact details from a mail signature block, by the shapes signatures have. Pure; no model needed.

The NLU model finds details inside sentences; signatures are lists of short lines ("Example K.K.",
"Sales Department", "株式会社サンプル 総務部", "TEL 03-..."), where simple patterns are more reliable.
"""

from __future__ import annotations

import re
import unicodedata

from privacy_desk.contact import find_email, find_phone

_COMPANY = re.compile(
    r"(株式会社|有限会社|合同会社|\(株\)|（株）|㈱|\b(?:Co\.,? ?Ltd\.?|Ltd\.?|Inc\.?|Corp\.?|Corporation|"
    r"K\.K\.|GmbH|LLC|PLC|S\.A\.|Limited|Company)(?=\W|$))", re.I)
_DIVISION = re.compile(
    r"(?:\b(?:Department|Dept\.?|Division|Section|Team|Group|Office)\b|(?:部|課|室|グループ|センター)$)", re.I)
_DECORATION = re.compile(r"^[\s\-=_*~━─－＝]+$")
_CLOSING = re.compile(
    r"^(best regards|kind regards|regards|sincerely|thanks|thank you|cheers|よろしくお願い|以上)", re.I)
# "Member No. M-880412", "Membership number: 10023456", "会員番号：12345": a label, then one token.
_MEMBER_NUMBER = re.compile(
    r"(?:\bmember(?:ship)?\s*(?:no\.?|number|#|id)|\bcustomer\s*(?:no\.?|number|id)|会員番号|会員no\.?|"
    r"お客様番号)\s*[:：.#]?\s*([a-z0-9][a-z0-9\-]{2,31})\b", re.I)
_LABEL = re.compile(r"^(?:name|氏名|名前|tel|phone|mobile|携帯|電話|fax|e-?mail|mail|メール)\s*[:：]?\s*", re.I)


def _lines(signature: str) -> list[tuple[str, str]]:
    """(normalised, as written) for each line that may carry a detail."""
    out = []
    for raw in signature.splitlines():
        line = unicodedata.normalize("NFKC", raw).strip()
        if not line or _DECORATION.match(line) or _CLOSING.match(line) or line == "--":
            continue
        out.append((line, raw.strip()))
    return out


def _as_written(raw: str, normal: str, value: str) -> str:
    # Full-width digits and letters normalise one to one, so positions carry over to what was written.
    at = normal.find(value)
    return raw[at:at + len(value)] if at >= 0 and len(raw) == len(normal) else value


def signature_details(signature: str) -> dict[str, str]:
    """name, company, division, member number, email and phone found in a signature block (each at most once)."""
    found: dict[str, str] = {}
    for line, raw in _lines(signature):
        if "email" not in found and (email := find_email(line)):
            found["email"] = _as_written(raw, line, email)
            continue
        if "member_number" not in found and (member := _MEMBER_NUMBER.search(line)):
            found["member_number"] = _as_written(raw, line, member.group(1))
            continue
        if "phone" not in found and re.search(r"\d{2,}", line) and (phone := find_phone(line)):
            found["phone"] = _as_written(raw, line, phone)
            continue
        if "@" in line or re.search(r"\d{3,}", line) or "://" in line:
            continue
        company = _COMPANY.search(line)
        if company and "company" not in found:
            # "株式会社サンプル 総務部" carries both: split at the space after the company name.
            parts = line.split()
            if len(parts) > 1 and _DIVISION.search(parts[-1]) and "division" not in found:
                found["division"] = _as_written(raw, line, parts[-1])
                line = " ".join(parts[:-1])
            found["company"] = _as_written(raw, line, line.rstrip(","))
            continue
        if "division" not in found and _DIVISION.search(line) and len(line) <= 60:
            found["division"] = _as_written(raw, line, _LABEL.sub("", line))
            continue
        name = _LABEL.sub("", line)
        if "name" not in found and _looks_like_name(name):
            found["name"] = _as_written(raw, line, name)
    return found


def _looks_like_name(text: str) -> bool:
    if re.fullmatch(r"[A-Z][a-zA-Z'\-]+(?: [A-Z][a-zA-Z'\-\.]+){1,3}", text):
        return True
    # Japanese: 2-7 kanji/kana, optionally one space between family and given name.
    return bool(re.fullmatch(r"[\u4e00-\u9fff\u3040-\u30ff]{1,4}[ 　]?[\u4e00-\u9fff\u3040-\u30ff]{1,4}", text))
