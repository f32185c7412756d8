"""Attachments: which files of a mail are kept, and how a stored file may leave the app again. Pure: no I/O.

A mail's files are admitted in the order they came, each against the per-file limit and all of them together
against the per-mail limit (both the company's settings, ATTACHMENT_MAX_BYTES and ATTACHMENT_MAIL_MAX_BYTES).
A file over a limit is refused: the mail is still kept, the file is recorded without its bytes, and the
customer is told how else to send it. A stored file leaves the app only as a download
(`Content-Disposition: attachment`) under a content type that browsers do not run.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 10 * MB
DEFAULT_MAIL_MAX_BYTES = 25 * MB
MAX_FILENAME = 255

# Types a browser shows without running anything; every other file is served as opaque bytes.
SAFE_DOWNLOAD_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/gif"})
# Images staff may preview, and only as our own re-encode of their pixels.
PREVIEWABLE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})


class AttachmentStatus(StrEnum):
    STORED = "stored"
    REFUSED = "refused"


class Refusal(StrEnum):
    FILE_TOO_LARGE = "larger than the per-file limit"
    MAIL_TOO_LARGE = "the mail's files together exceed the per-mail limit"


@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: int = DEFAULT_MAX_BYTES  # one file
    mail_max_bytes: int = DEFAULT_MAIL_MAX_BYTES  # every stored file of one mail together
    # Where customers may send what is over the limits (an upload page, say): the company's choice. Empty: the
    # reply points to the company's contact details.
    other_way: str = ""


@dataclass(frozen=True)
class AttachmentFile:
    """A file as it arrived (in a mail, or uploaded by staff)."""

    filename: str | None
    content_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class AdmittedFile:
    """A file with the decision about it: stored with its bytes, or refused (kept as a record, without them)."""

    filename: str
    content_type: str
    size: int
    sha256: str
    status: AttachmentStatus
    refusal: Refusal | None = None
    data: bytes | None = field(default=None, repr=False)


def clean_filename(name: str | None, content_type: str = "") -> str:
    """A name safe to show and to offer as a download: no path, no control characters, bounded length."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not text:
        text = "attachment" + _extension(content_type)
    if len(text) > MAX_FILENAME:
        stem, dot, ext = text.rpartition(".")
        text = (stem[:MAX_FILENAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else text[:MAX_FILENAME]
    return text


def _extension(content_type: str) -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
            "text/plain": ".txt"}.get(content_type.lower(), "")


def admit(files: Sequence[AttachmentFile], limits: AttachmentLimits) -> list[AdmittedFile]:
    """Each file stored or refused, in order: a file that would take the mail over its limit is refused, and
    later smaller files may still fit."""
    admitted: list[AdmittedFile] = []
    total = 0
    for f in files:
        refusal = None
        if f.size > limits.max_bytes:
            refusal = Refusal.FILE_TOO_LARGE
        elif total + f.size > limits.mail_max_bytes:
            refusal = Refusal.MAIL_TOO_LARGE
        else:
            total += f.size
        admitted.append(AdmittedFile(
            filename=clean_filename(f.filename, f.content_type), content_type=f.content_type.lower()[:255],
            size=f.size, sha256=hashlib.sha256(f.data).hexdigest(),
            status=AttachmentStatus.REFUSED if refusal else AttachmentStatus.STORED, refusal=refusal,
            data=None if refusal else f.data))
    return admitted


def refused_names(files: Sequence[AdmittedFile]) -> tuple[str, ...]:
    return tuple(f.filename for f in files if f.status is AttachmentStatus.REFUSED)


def download_type(content_type: str) -> str:
    """The Content-Type a stored file is served under: its own only when browsers cannot run it."""
    given = content_type.split(";")[0].strip().lower()
    return given if given in SAFE_DOWNLOAD_TYPES else "application/octet-stream"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266: an ASCII fallback for old clients, and the real name (Japanese included) as RFC 5987 UTF-8."""
    fallback = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\%;' else "_" for ch in filename)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def describe_limit(size: int) -> str:
    """A limit as customers read it: '10 MB', '1.5 MB', '3.9 KB', '900 bytes'."""
    for unit, name in ((MB, "MB"), (1024, "KB")):
        if size >= unit:
            return f"{size / unit:.1f}".removesuffix(".0") + f" {name}"
    return f"{size} bytes"
