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
