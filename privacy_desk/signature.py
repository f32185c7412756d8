"""Contact details from a mail signature block, by the shapes signatures have. Pure; no model needed.

The NLU model finds details inside sentences; signatures are lists of short lines ("Example K.K.",
"Sales Department", "株式会社サンプル 総務部", "TEL 03-..."), where simple patterns are more reliable.
Many mailers (and many people) put no "--" before a signature: `trailing_signature` then takes the short lines
after the closing phrase ("よろしくお願いいたします。", "Best regards,").
"""

from __future__ import annotations

import re
import unicodedata

from privacy_desk.contact import find_email, find_phone

_LEGAL_FORM = (r"株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人|公益社団法人|公益財団法人|"
               r"特定非営利活動法人|NPO法人|医療法人|学校法人|社会福祉法人|税理士法人|弁護士法人|監査法人|\(株\)|\(有\)")
_COMPANY = re.compile(
    rf"({_LEGAL_FORM}|(?:法律|会計|特許|税理士|司法書士|行政書士|設計)事務所$|"
    r"\b(?:Co\.,? ?Ltd\.?|Ltd\.?|Inc\.?|Corp\.?|Corporation|K\.K\.|GmbH|LLC|LLP|PLC|S\.A\.|Limited|Company)(?=\W|$)|"
    # Legal forms elsewhere, case-sensitive and last on the line: "Lind Forestry AB", "Moreau Conseil SAS".
    r"(?-i:\b(?:AG|KG|AB|A/S|ApS|AS|OU|OÜ|Oy|SAS|SARL|SA|SRL|S\.r\.l\.|S\.p\.A\.|SpA|BV|B\.V\.|NV|N\.V\.|JSC|Pty|"
    r"Pte|Sdn Bhd|GmbH & Co\. KG)\.?$))",
    re.I)
_LEGAL_FORM_ONLY = re.compile(rf"^(?:{_LEGAL_FORM}|Co\.?|Ltd\.?|Inc\.?|Corp\.?|K\.K\.?|LLC|Company|Limited)$", re.I)
# Japanese department names: a suffix (総務部, 情報システム課, 法務グループ, 事務局) or a bare common stem (総務, 経理).
_JA_DIVISION = re.compile(
    r"^(?:.{1,12}(?:本部|事業部|部|課|室|局|グループ|チーム|センター|担当|係|支店|営業所|工場)|"
    r"総務|経理|人事|営業|法務|広報|財務|企画|購買|調達|開発|技術|管理|庶務|経営企画|情報システム|品質保証|"
    r"カスタマーサポート|マーケティング)$")
_DIVISION = re.compile(
    r"(?:\b(?:Department|Dept\.?|Division|Section|Team|Group|Office|Unit|Desk)\b|"
    r"(?:部|課|室|局|グループ|チーム|センター)$)", re.I)
# An English signature line made only of function words ("Finance", "IT Services", "General Affairs") is a division.
_EN_DIVISION = re.compile(
    r"^(?:(?:IT|HR|R&D|Sales|Marketing|Finance|Financial|Legal|Procurement|Purchasing|Accounting|Accounts|Compliance|"
    r"Operations|Administration|Administrative|General|Affairs|Human|Resources|Customer|Information|Security|Data|"
    r"Protection|Privacy|Quality|Assurance|Business|Development|Engineering|Logistics|Corporate|Planning|Facilities|"
    r"Research|Governance|Services|Support|Technical|Technology|Systems|Risk|Audit|Payable|Receivable|Product|"
    r"Management|Public|Relations|Communications|Infrastructure)(?:\s+|$)){1,4}$")
_DECORATION = re.compile(r"^[\s\-=_*~━─－＝]+$")
_CLOSING = re.compile(
    r"^(best regards|kind regards|warm regards|regards|sincerely|yours (?:sincerely|faithfully|truly)|"
    r"many thanks|thanks(?: again)?|thank you|cheers|best wishes|best)\b[\s,.!]*$|"
    r"(?:よろしく|宜しく)お(?:願|ねが)い(?:いた|致)?(?:します|申し上げます)|^以上[。.]?$", re.I)
# "Member No. M-880412", "Membership number: 10023456", "会員番号：12345": a label, then one token.
_MEMBER_NUMBER = re.compile(
    r"(?:\bmember(?:ship)?\s*(?:no\.?|number|#|id)|\bcustomer\s*(?:no\.?|number|id)|会員番号|会員no\.?|"
    r"お客様番号)\s*[:：.#]?\s*([a-z0-9][a-z0-9\-]{2,31})\b", re.I)
_LABEL = re.compile(r"^(?:name|氏名|名前|担当|担当者|tel|phone|mobile|携帯|電話|fax|e-?mail|mail|メール)\s*[:：]?\s*",
                    re.I)
# A line that names whom the mail is addressed to, not who wrote it.
_ADDRESSEE = re.compile(r"(?:様|御中|殿|各位|ご担当者?)\s*[,，、:：]?$|^(?:dear|attn\.?|attention)\b|^to(?:\s*:| whom)",
                        re.I)
_JA_NAME = re.compile(r"[\u4e00-\u9fff\u3005\u3040-\u30ff]{1,5}(?:[ 　][\u4e00-\u9fff\u3005\u3040-\u30ff]{1,5})?")
_JA_PREFECTURE = r"(?:東京都|北海道|(?:京都|大阪)府|[\u4e00-\u9fff]{2,3}県)"
_JA_ADDRESS = re.compile(
    rf"(?:〒\s?\d{{3}}-?\d{{4}}\s*)?{_JA_PREFECTURE}[^\s、。,，「」()（）]*?\d+(?:-\d+){{0,3}}(?:号室?|番地?|丁目)?"
    r"(?:[ 　]?[^\s、。,，]{1,20}?(?:ビル|マンション|ハイツ|タワー|荘)\s?\d*[階F号室]*)?")


def _lines(signature: str) -> list[tuple[str, str]]:
    """(normalised, as written) for each line that may carry a detail."""
    out = []
    for raw in signature.splitlines():
        line = unicodedata.normalize("NFKC", raw).strip()
        if not line or _DECORATION.match(line) or _CLOSING.search(line) or line == "--":
            continue
        if _ADDRESSEE.search(line):
            continue
        out.append((line, raw.strip()))
    return out


def _as_written(raw: str, normal: str, value: str) -> str:
    # Full-width digits and letters normalise one to one, so positions carry over to what was written.
    at = normal.find(value)
    return raw[at:at + len(value)] if at >= 0 and len(raw) == len(normal) else value


def is_addressee_line(line: str) -> bool:
    """'株式会社サンプル ご担当者様', 'Dear Privacy Team,': the recipient's name, not the sender's."""
    return bool(_ADDRESSEE.search(unicodedata.normalize("NFKC", line).strip()))


def is_legal_form_only(value: str) -> bool:
    """'株式会社' or 'Inc.' alone is a fragment of a company name, not a company."""
    return bool(_LEGAL_FORM_ONLY.match(unicodedata.normalize("NFKC", value).strip()))


def trailing_signature(text: str, max_lines: int = 8) -> str:
    """The short lines after the last closing phrase, when a mail has no '--' separator; '' if none."""
    lines = text.replace("\r\n", "\n").split("\n")
    closing = [k for k, line in enumerate(lines) if _CLOSING.search(unicodedata.normalize("NFKC", line).strip())
               and len(line.strip()) <= 40]
    if not closing:
        return ""
    tail = [line for line in lines[closing[-1] + 1:] if line.strip()]
    if not tail or len(tail) > max_lines or any(len(line.strip()) > 80 for line in tail):
        return ""
    return "\n".join(tail)


def find_address(text: str) -> str | None:
    """A Japanese postal address (prefecture first, optionally after 〒 and the postcode), as written."""
    normal = unicodedata.normalize("NFKC", text)
    match = _JA_ADDRESS.search(normal)
    if not match:
        return None
    value = match.group(0).strip()
    return _as_written(text, normal, value) if len(text) == len(normal) else value


def _japanese_parts(line: str) -> dict[str, str]:
    """'株式会社サンプル 総務部 法務グループ 山田 太郎' -> company, division, name, by the shape of each part."""
    parts = line.split()
    found: dict[str, str] = {}
    rest: list[str] = []
    divisions: list[str] = []
    for part in parts:
        if "company" not in found and not divisions and not rest and _COMPANY.search(part):
            found["company"] = part
        elif not rest and _JA_DIVISION.match(part):
            divisions.append(part)
        else:
            rest.append(part)
    if divisions:
        found["division"] = " ".join(divisions)
    name = " ".join(rest)
    if rest and len(rest) <= 2 and _JA_NAME.fullmatch(name):
        found["name"] = name
    return found if ("company" in found or "division" in found) and (not rest or "name" in found) else {}


def signature_details(signature: str) -> dict[str, str]:
    """name, company, division, member number, email, phone and address found in a signature block (each at
    most once)."""
    found: dict[str, str] = {}
    for line, raw in _lines(signature):
        if "email" not in found and (email := find_email(line)):
            found["email"] = _as_written(raw, line, email)
            continue
        if "member_number" not in found and (member := _MEMBER_NUMBER.search(line)):
            found["member_number"] = _as_written(raw, line, member.group(1))
            continue
        if "address" not in found and (address := find_address(line)):
            found["address"] = _as_written(raw, line, address)
            continue
        if "phone" not in found and re.search(r"\d{2,}", line) and (phone := find_phone(line)):
            found["phone"] = _as_written(raw, line, phone)
            continue
        if "@" in line or re.search(r"\d{3,}", line) or "://" in line:
            continue
        if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", line) and len(line.split()) > 1:
            parts = _japanese_parts(line)
            if parts:
                for name, value in parts.items():
                    if name not in found:
                        found[name] = _as_written(raw, line, value)
                continue
        company = _COMPANY.search(line)
        if company and "company" not in found:
            # "Example K.K., Sales Department" carries both: split at the comma or space before the division.
            pieces = [p.strip() for p in re.split(r",\s+(?=\S+ (?:Department|Dept|Division|Section|Team))", line)]
            if len(pieces) > 1 and _DIVISION.search(pieces[-1]) and "division" not in found:
                found["division"] = _as_written(raw, line, pieces[-1])
                line = pieces[0]
            found["company"] = _as_written(raw, line, line.rstrip(","))
            continue
        if "division" not in found and (_DIVISION.search(line) or _EN_DIVISION.match(line)) and len(line) <= 60:
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
    return bool(re.fullmatch(r"[\u4e00-\u9fff\u3005\u3040-\u30ff]{1,4}[ 　]?[\u4e00-\u9fff\u3005\u3040-\u30ff]{1,4}",
                             text))
