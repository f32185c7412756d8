"""Our own test mail, built byte by byte the way real mailers write it (no copies of third-party fixtures)."""

from __future__ import annotations

import base64
import io
from email.header import Header
from urllib.parse import quote

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


def multipart_mail(text: str, files: list[tuple[str, str, bytes]], *, subject: str = "Delete my data",
                   sender: str = "Taro Yamada <taro@example.jp>", message_id: str = "<a1@example.jp>",
                   charset: str = "utf-8") -> bytes:
    """A text body and files (name, content type, bytes) as base64 parts, the way Thunderbird and Outlook send
    them; a name outside ASCII goes as RFC 2231 (filename*=utf-8''...) with an RFC 2047 `name` for old readers."""
    boundary = "------------b0undary.4711"
    head = headers(From=sender, To="privacy@itosoft.example.com", Subject=encoded_word(subject, "utf-8"),
                   Message_ID=message_id, Date="Mon, 23 Nov 2026 09:00:00 +0900", MIME_Version="1.0",
                   Content_Type=f'multipart/mixed; boundary="{boundary}"')
    parts = [f"--{boundary}{CRLF}Content-Type: text/plain; charset={charset}{CRLF}"
             f"Content-Transfer-Encoding: base64{CRLF}{CRLF}".encode() + b64(text.encode(charset))]
    for name, content_type, data in files:
        if name.isascii():
            disposition, label = f'attachment; filename="{name}"', f'; name="{name}"'
        else:
            disposition = f"attachment; filename*=utf-8''{quote(name, safe='')}"
            label = f'; name="{encoded_word(name, "utf-8")}"'
        parts.append(f"--{boundary}{CRLF}Content-Type: {content_type}{label}{CRLF}"
                     f"Content-Disposition: {disposition}{CRLF}Content-Transfer-Encoding: base64{CRLF}{CRLF}"
                     .encode() + b64(data))
    return head.encode("ascii") + (CRLF * 2).encode() + b"".join(parts) + f"--{boundary}--{CRLF}".encode()


def tiny_pdf(text: str = "Disclosed data") -> bytes:
    """A one-page PDF written by hand: header, four objects, the cross-reference table with real offsets."""
    stream = f"BT /F1 12 Tf 20 40 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 80] /Contents 4 0 R >>",
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def tiny_jpeg(size: tuple[int, int] = (32, 24), with_gps: bool = True) -> bytes:
    """A small JPEG from Pillow, carrying EXIF (camera model and a GPS position) like a phone photo."""
    from PIL import Image

    image = Image.new("RGB", size, (200, 30, 60))
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam 9"  # Model
    if with_gps:
        exif[0x8825] = {1: "N", 2: (35.0, 40.0, 0.0), 3: "E", 4: (139.0, 45.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()
