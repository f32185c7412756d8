"""Raw RFC 5322 bytes to a ParsedMail: headers, the customer's text, attachments. Pure: no I/O.

Real mail is often broken: unknown or wrong charset labels (a UTF-8 body labelled ISO-2022-JP, `shift-jis`,
`unicode-1-1-utf-7`), raw 8-bit headers, boundaries that never appear, invalid base64. Parsing never raises on
such mail: it decodes what can be decoded and notes each repair in `problems`. Only a message with nothing
usable at all raises Unparseable, so that the caller quarantines it.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import re
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import Message
from email.utils import collapse_rfc2231_value, getaddresses, parseaddr

from bs4 import BeautifulSoup
from charset_normalizer import from_bytes

# Labels seen in the wild mapped to the codec that decodes what senders actually meant. Japanese mailers
# label CP932 (Shift_JIS with NEC/IBM extensions such as ① and ㈱) as Shift_JIS, and EUC-JP likewise.
CHARSET_ALIASES = {
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "ms_kanji": "cp932",
    "windows-31j": "cp932", "csshiftjis": "cp932",
    "euc-jp": "euc_jis_2004", "x-euc-jp": "euc_jis_2004", "eucjp": "euc_jis_2004",
    "iso-2022-jp": "iso2022_jp_ext", "csiso2022jp": "iso2022_jp_ext", "iso-2022-jp-ms": "iso2022_jp_ext",
    "unicode-1-1-utf-7": "utf-7", "x-unicode-2-0-utf-7": "utf-7", "utf7": "utf-7",
    "gb2312": "gb18030", "gbk": "gb18030", "ks_c_5601-1987": "cp949", "iso-8859-8-i": "iso-8859-8",
    "us-ascii": "utf-8", "ascii": "utf-8", "ansi_x3.4-1968": "utf-8",
}
# ISO-2022-JP is 7-bit; its NEC extensions (①, ㈱) are only in CP932's table, reached via the round trip.
_ISO2022 = {"iso2022_jp", "iso2022_jp_ext", "iso2022_jp_1", "iso2022_jp_2"}


class Unparseable(Exception):
    """The bytes are not a mail we can read at all; the reason says why."""


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    content_type: str
    size: int
    data: bytes = field(default=b"", repr=False)  # the decoded bytes (base64 and quoted-printable undone)


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    from_address: str | None
    from_name: str | None
    reply_to: str | None
    to: list[str]
    subject: str
    text: str
    html_only: bool
    attachments: list[Attachment]
    headers: dict[str, list[str]]  # lower-case name -> decoded values, for loop checks
    content_type: str
    problems: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def codec_for(label: str | None) -> str | None:
    if not label:
        return None
    name = label.strip().strip('"').lower()
    name = CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _iso2022_with_nec(data: bytes) -> str:
    # Python's ISO-2022-JP codecs reject the NEC row 13 (①, ㈱): decode JIS X 0208 runs via CP932 instead.
    out: list[str] = []
    for chunk in re.split(rb"(\x1b\$[@B](?:(?!\x1b\([BJ]).)*)", data, flags=re.S):
        if chunk.startswith(b"\x1b$"):
            body = chunk[3:]
            sjis = bytearray()
            for i in range(0, len(body) - 1, 2):
                c1, c2 = body[i], body[i + 1]
                # JIS row/cell to Shift_JIS bytes.
                s1 = ((c1 + 1) >> 1) + (0x70 if c1 <= 0x5E else 0xB0)
                s2 = c2 + (0x1F if c1 & 1 else 0x7D)
                if s2 >= 0x7F and c1 & 1:
                    s2 += 1
                sjis += bytes([s1, s2])
            out.append(bytes(sjis).decode("cp932", errors="replace"))
        else:
            out.append(re.sub(rb"\x1b\([BJ]", b"", chunk).decode("ascii", errors="replace"))
    return "".join(out)


def decode_bytes(data: bytes, label: str | None, problems: list[str], where: str) -> str:
    """Bytes to text under a label that may be missing, unknown or wrong; never raises."""
    codec = codec_for(label)
    if label and codec is None:
        problems.append(f"{where}: unknown charset {label!r}")
    if codec in _ISO2022 and any(b > 0x7F for b in data):
        problems.append(f"{where}: labelled {label} but has 8-bit bytes")
        codec = None  # mislabelled: usually UTF-8 or Shift_JIS
    if codec:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            if codec in _ISO2022:
                return _iso2022_with_nec(data)
            problems.append(f"{where}: not valid {label}")
            lenient = data.decode(codec, errors="replace")
            if lenient.count("\ufffd") <= max(2, len(lenient) // 100):
                return lenient  # a few bad bytes in otherwise well-labelled text
    if data.isascii() and b"\x1b$" in data:
        return _iso2022_with_nec(data)  # unlabelled ISO-2022-JP
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=["cp932", "euc_jis_2004", "utf_8", "iso2022_jp", "cp1252", "iso8859_2",
                                          "koi8_r", "gb18030", "iso8859_15", "cp1251"]).best()
    if best is not None:
        return str(best)
    problems.append(f"{where}: undecodable bytes replaced")
    return data.decode("utf-8", errors="replace")


def decode_header_value(raw: str, problems: list[str], where: str) -> str:
    """An RFC 2047 header value (encoded words in any charset, or raw 8-bit) as text."""
    if isinstance(raw, str) and any(0xDC80 <= ord(ch) <= 0xDCFF for ch in raw):
        # Raw 8-bit bytes smuggled through as surrogates: recover the bytes and guess their charset.
        raw = decode_bytes(raw.encode("utf-8", "surrogateescape"), None, problems, where)
    unfolded = re.sub(r"\r?\n[ \t]+", " ", str(raw))
    try:
        parts = decode_header(unfolded)
    except Exception:
        problems.append(f"{where}: malformed encoded word")
        return unfolded.strip()
    text = []
    for value, charset in parts:
        if isinstance(value, bytes):
            text.append(decode_bytes(value, charset, problems, where) if charset else
                        decode_bytes(value, None, problems, where))
        else:
            text.append(value)
    return "".join(text).strip()


def _strip_mbox_line(raw: bytes) -> bytes:
    return raw.split(b"\n", 1)[1] if raw.startswith(b"From ") and b"\n" in raw else raw


def _payload_bytes(part: Message, problems: list[str], where: str) -> bytes:
    cte = (part.get("Content-Transfer-Encoding") or "").strip().lower()
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    if cte not in {"", "7bit", "8bit", "binary", "base64", "quoted-printable"}:
        problems.append(f"{where}: unusual transfer encoding {cte!r}")
    for defect in getattr(part, "defects", []):
        problems.append(f"{where}: {type(defect).__name__}")
    return data if isinstance(data, bytes) else b""


def _html_to_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head"]):
        tag.decompose()
    text = soup.get_text("\n")
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def _filename(part: Message, problems: list[str], where: str) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        problems.append(f"{where}: unreadable filename")
        return None
    return decode_header_value(name, problems, where) if name else None


def parse_mail(raw: bytes) -> ParsedMail:
    if not raw or not raw.strip():
        raise Unparseable("empty message")
    problems: list[str] = []
    message = email.message_from_bytes(_strip_mbox_line(raw), policy=email.policy.default)
    headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        headers.setdefault(name.lower(), []).append(decode_header_value(value, problems, f"header {name}"))
    if not headers:
        problems.append("no header block")

    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[Attachment] = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        where = f"part {index}"
        content_type = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        filename = _filename(part, problems, where)
        data = _payload_bytes(part, problems, where)
        is_body = content_type in {"text/plain", "text/html"} and disposition != "attachment" and not filename
        if is_body:
            param = part.get_param("charset")
            charset = collapse_rfc2231_value(param) if isinstance(param, tuple) else param
            decoded = decode_bytes(data, charset, problems, where)
            (texts if content_type == "text/plain" else htmls).append(decoded)
        else:
            attachments.append(Attachment(filename, content_type, len(data), data))

    text = "\n\n".join(t.strip() for t in texts if t.strip())
    html_only = not text and bool(htmls)
    if html_only:
        text = "\n\n".join(_html_to_text(h) for h in htmls)
    if not headers and not text:
        raise Unparseable("no headers and no readable body")

    def first(name: str) -> str | None:
        values = headers.get(name)
        return values[0] if values else None

    from_name, from_address = parseaddr(first("from") or "")
    _, reply_to = parseaddr(first("reply-to") or "")
    message_id = (first("message-id") or "").strip() or None
    return ParsedMail(
        message_id=message_id,
        in_reply_to=(first("in-reply-to") or "").strip() or None,
        references=re.findall(r"<[^<>\s]+>", " ".join(headers.get("references", []))),
        from_address=from_address.lower() if "@" in from_address else None,
        from_name=from_name or None,
        reply_to=reply_to.lower() if "@" in reply_to else None,
        to=[a.lower() for _, a in getaddresses(headers.get("to", [])) if "@" in a],
        subject=first("subject") or "",
        text=text.replace("\r\n", "\n"),
        html_only=html_only,
        attachments=attachments,
        headers=headers,
        content_type=message.get_content_type(),
        problems=problems,
    )

