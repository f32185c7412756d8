"""The parts of a mail body: what the customer wrote now, their signature, and the quoted history.

Splitting is done by mail-parser-reply (English and Japanese mailers' reply headers and signatures).
"""

from __future__ import annotations

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
