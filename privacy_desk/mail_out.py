"""Outgoing mail as RFC 5322 messages: our Message-IDs, RFC 3834 headers, UTF-8 bodies in any language."""

from __future__ import annotations

import email.policy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

# Every Message-ID we send carries this tag, so a reply to one of our mails is recognised (and so is our own
# mail coming back in a bounce or a loop).
MESSAGE_ID_TAG = "privacy-desk"


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content_type: str
    data: bytes = field(repr=False)


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def new_message_id(mail_from: str) -> str:
    return make_msgid(idstring=MESSAGE_ID_TAG, domain=domain_of(mail_from))


def is_our_message_id(message_id: str, mail_from: str) -> bool:
    value = message_id.strip().strip("<>")
    return f".{MESSAGE_ID_TAG}@" in value and value.endswith("@" + domain_of(mail_from))


def compose(*, mail_from: str, sender_name: str, to: str, subject: str, body: str, message_id: str,
            language: str, date: datetime, in_reply_to: str | None = None,
            references: str | None = None, attachments: Sequence[OutgoingFile] = ()) -> EmailMessage:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = formataddr((sender_name, mail_from), charset="utf-8")
    message["To"] = Address(addr_spec=to).addr_spec
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = " ".join(filter(None, [references, in_reply_to]))
    # RFC 3834: we answer automatically, so auto-responders must not answer us back.
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(body, charset="utf-8", cte="8bit" if body.isascii() else "base64")
    for f in attachments:
        # A Japanese file name goes out RFC 2231-encoded (filename*=utf-8''...), which every mailer reads.
        maintype, _, subtype = f.content_type.partition("/")
        if not subtype or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(f.data, maintype=maintype, subtype=subtype, filename=f.filename)
    # After set_content, which clears every Content-* header it finds.
    message["Content-Language"] = language
    return message
