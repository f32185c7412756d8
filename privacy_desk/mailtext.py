"""The parts of a mail body: what the customer wrote now, their signature, and the quoted history.

Splitting is done by mail-parser-reply (English and Japanese mailers' reply headers and signatures).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailparser_reply import EmailReplyParser

_PARSER = EmailReplyParser(languages=["en", "ja"])


@dataclass(frozen=True)
class MailText:
    new_text: str  # what the customer wrote in this message, without signature or quoted mail
    signature: str
    quoted: str


def split_mail_text(body: str) -> MailText:
    text = body.replace("\r\n", "\n")
    try:
        replies = _PARSER.read(text=text).replies
    except Exception:  # the parser is heuristic; a body it chokes on is still the customer's text
        return MailText(text.strip(), "", "")
    if not replies:
        return MailText(text.strip(), "", "")
    first = replies[0]
    new_text = (first.body or "").strip()
    quoted = "\n\n".join(r.content for r in replies[1:] if r.content).strip()
    if not new_text and not first.signatures:
        return MailText(text.strip(), "", "")
    return MailText(new_text, (first.signatures or "").strip(), quoted)


# Lines that carry no request of their own: greetings, closings, phone-mailer footers, reply headers.
_EMPTY_LINE = re.compile(
    r"^\s*(?:(?:hi|hello|hey|dear\b.*|good (?:morning|afternoon|evening)|thanks?(?: you)?(?: very much)?|"
    r"many thanks|best|regards|best regards|kind regards|cheers|sincerely|yours(?: sincerely| faithfully)?|"
    r"sent from my \w+.*|get outlook for \w+.*|"
    r"お世話になっております|お世話になります|いつもお世話になっております|よろしくお願い(?:いた)?します|"
    r"よろしくお願い申し上げます|以上(?:です|、よろしくお願いします)?|ありがとうございます|"
    r"iPhoneから送信|.*様)[\s,.!。、！]*|[-_=~*#—―]*)$", re.I)
_REPLY_HEADER = re.compile(
    r"^\s*(?:on .{4,200} wrote:|-{2,}\s*(?:original message|forwarded message)\s*-{2,}|"
    r".{2,120}(?:さんは書きました|wrote)\s*[:：]|-{2,}\s*元のメッセージ\s*-{2,}|"
    r"(?:from|差出人|送信者)\s*[:：].*)\s*$", re.I)
_NAME_ONLY = re.compile(r"^(?:[\u4e00-\u9fff々]{1,4}\s?[\u4e00-\u9fff々]{0,4}|(?:[A-Z][a-z'.-]+\s?){1,3})$")
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|sv|tr|返信|転送)\s*[:：]\s*|\[[^\]]*\]\s*)+", re.I)


def customer_words(new_text: str) -> str:
    """The lines of a body's new text that say something: without quoted lines, the quoted mail after a reply
    header, greetings, closings and phone-mailer footers. Empty when the body holds no words of the customer's."""
    kept: list[str] = []
    dropped = False
    for line in new_text.splitlines():
        if _REPLY_HEADER.match(line):
            break  # what follows is the mail being answered or forwarded
        if line.lstrip().startswith((">", "＞")) or _EMPTY_LINE.match(line):
            dropped = dropped or bool(line.strip())
            continue
        kept.append(line.strip())
    if dropped and len(kept) == 1 and _NAME_ONLY.match(kept[0]):
        return ""  # a greeting or closing and then only a name: a signature
    return "\n".join(kept).strip()


def subject_words(subject: str | None) -> str:
    """A subject without reply and forward prefixes or bracketed tags ("Re: [PRQ-2026-000001] ...")."""
    return _SUBJECT_PREFIX.sub("", subject or "").strip()


# Machine-made lines: what a customer pastes (a log, a stack trace, a settings dump, a key or a blob) rather than
# writes. The model was trained on people's words; a request above 6,000 log lines was read as the log.
_LEVEL = r"(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|SEVERE)"
# A date and a time with seconds, a syslog stamp, or a bare time with a fraction or a level after it.
_TIMESTAMP = (r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[ T]\d{1,2}:\d{2}:\d{2}|"
              rf"\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d+|\s+\[?{_LEVEL}\b)|"
              r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+\d{1,2}\s+\d{1,2}:\d{2}:\d{2})")
_LOG_LINE = re.compile(
    rf"^(?:\[?{_TIMESTAMP}|\[(?i:{_LEVEL})\]|{_LEVEL}\s*[:|\]]\s|[VDIWEF]/[\w.$-]+\s*\(\s*\d+\))")
_TRACE_LINE = re.compile(
    r"^(?:(?i:traceback \(most recent call last\):|file \".+\", line \d+)|at [\w$.<>/-]+\(.*\)$|"
    r"Caused by: |\.\.\. \d+ more$|#\d+\s+0x[0-9a-f]+|(?:[a-z_]\w*\.)+[A-Z]\w*(?:Exception|Error)\b|"
    r"[A-Z]\w*(?:Exception|Error): )")
_KEY_VALUE = re.compile(r"[\w.\-\[\]]+=[^\s,;&]*")
_OPAQUE = re.compile(r"[A-Za-z0-9+/=_.\-]{32,}")
_CODE_CHARS = frozenset("{}[]<>;=|\\$`")
_JSON_KEY = re.compile(r"[\"'][\w.\- ]+[\"']\s*:\s*")
_CODE_LINE = re.compile(r"^(?:[}\])]|.*[({=].*[;{}]$|.*\w\(.*\);$)")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_PEOPLES_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")


def is_machine_line(line: str) -> bool:
    """A line no person wrote: a log line (a timestamp with seconds, or a level tag, first), a stack-trace line,
    a key=value dump, a line that is mostly one opaque token (base64, a hash, a key), or code (many of {}[]<>;=|).
    Words in Japanese script outside a log line mark a person's line."""
    text = line.strip()
    if not text:
        return False
    if _LOG_LINE.match(text) or _TRACE_LINE.match(text):
        return True
    if _PEOPLES_SCRIPT.search(text):
        return False
    pairs = _KEY_VALUE.findall(text)
    if len(pairs) >= 2 and sum(map(len, pairs)) >= 0.5 * len(text.replace(" ", "")):
        return True
    solid = len(text.replace(" ", ""))
    blobs = [m for m in _OPAQUE.findall(text) if any(ch.isdigit() for ch in m) and "@" not in m]
    if sum(map(len, blobs)) >= 0.6 * solid:
        return True
    if len(_JSON_KEY.findall(text)) >= 2 or _CODE_LINE.match(text):
        return True
    code = sum(ch in _CODE_CHARS for ch in text)
    return code >= 3 and code >= 0.12 * solid and sum(ch.isalpha() for ch in text) < 0.65 * solid


def without_machine_lines(text: str, keep: int | None = None) -> str:
    """The text without machine-made lines (`is_machine_line`) or fenced code blocks; runs of blank lines left
    behind become one. With `keep`, stops once that many characters are kept (the model reads no more).
    Empty when the text is nothing but such lines."""
    kept: list[str] = []
    size = 0
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced or is_machine_line(line):
            continue
        if not line.strip() and (not kept or not kept[-1].strip()):
            continue
        kept.append(line)
        size += len(line) + 1
        if keep is not None and size >= keep:
            break
    return "\n".join(kept).strip()
