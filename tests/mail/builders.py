"""Our own test mail, built byte by byte the way real mailers write it (no copies of third-party fixtures)."""

from __future__ import annotations

import base64
from email.header import Header

CRLF = "\r\n"


def headers(**fields: str) -> str:
    lines = []
    for name, value in fields.items():
        lines.append(f"{name.replace('_', '-')}: {value}")
    return CRLF.join(lines)


def mail(body: bytes, *, charset: str = "utf-8", cte: str = "8bit", subject: str = "Request",
         sender: str = "Taro Yamada <taro@example.jp>", message_id: str = "<m1@example.jp>",
         extra: dict[str, str] | None = None, content_type: str = "text/plain") -> bytes:
    fields = {"From": sender, "To": "privacy@itosoft.example.com", "Subject": subject, "Message-ID": message_id,
              "Date": "Mon, 23 Nov 2026 09:00:00 +0900", "MIME-Version": "1.0",
              "Content-Type": f"{content_type}; charset={charset}", "Content-Transfer-Encoding": cte,
              **(extra or {})}
    head = CRLF.join(f"{k}: {v}" for k, v in fields.items())
    return head.encode("ascii") + (CRLF + CRLF).encode() + body


def encoded_word(text: str, charset: str = "iso-2022-jp") -> str:
    return Header(text, charset).encode()


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")
