"""Parsing real-world mail: charsets (right, wrong and unknown), MIME structure, attachments, broken input."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from mail_ingest.parse import Unparseable, parse_mail
from tests.mail.builders import b64, encoded_word, mail

JAPANESE = "お世話になっております。個人情報の削除をお願いします。①㈱サンプル"


@pytest.mark.parametrize(("charset", "codec"), [
    ("ISO-2022-JP", "iso2022_jp"), ("Shift_JIS", "cp932"), ("shift-jis", "cp932"), ("EUC-JP", "euc_jp"),
    ("UTF-8", "utf-8"),
])
def test_japanese_charsets(charset: str, codec: str) -> None:
    text = JAPANESE if codec in {"cp932", "utf-8"} else JAPANESE.replace("①㈱", "")
    parsed = parse_mail(mail(text.encode(codec), charset=charset, cte="7bit" if "2022" in charset else "8bit"))
    assert parsed.text == text


def test_iso_2022_jp_with_nec_special_characters() -> None:
    # Japanese mailers write ① and ㈱ into ISO-2022-JP (CP50220), which the strict codec rejects.
    body = "①㈱サンプル".encode("cp932")
    jis = bytearray(b"\x1b$B")
    for i in range(0, len(body), 2):
        s1, s2 = body[i], body[i + 1]
        c1 = (s1 - (0x70 if s1 < 0xA0 else 0xB0)) * 2 - (1 if s2 < 0x9F else 0)
        c2 = s2 - (0x1F if s2 < 0x7F else 0x20) if s2 < 0x9F else s2 - 0x7E
        jis += bytes([c1, c2])
    jis += b"\x1b(B"
    assert parse_mail(mail(bytes(jis), charset="ISO-2022-JP", cte="7bit")).text == "①㈱サンプル"


def test_utf8_body_mislabelled_as_iso_2022_jp() -> None:
    parsed = parse_mail(mail(JAPANESE.encode("utf-8"), charset="ISO-2022-JP", cte="8bit"))
    assert parsed.text == JAPANESE
    assert any("8-bit" in p for p in parsed.problems)


def test_unknown_charset_is_guessed_not_fatal() -> None:
    parsed = parse_mail(mail("Bitte löschen Sie meine Daten".encode("latin-1"), charset="x-no-such-charset"))
    assert "Daten" in parsed.text and any("unknown charset" in p for p in parsed.problems)


def test_rfc2047_subject_and_rfc2231_filename() -> None:
    boundary = "b1"
    raw = (
        f"From: {encoded_word('山田 太郎')} <taro@example.jp>\r\nSubject: {encoded_word('個人情報開示のお願い')}\r\n"
        f"Message-ID: <jp1@example.jp>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n"
    ).encode() + "開示をお願いします。".encode("iso2022_jp") + (
        f"\r\n--{boundary}\r\nContent-Type: application/pdf\r\n"
        f"Content-Disposition: attachment; filename*=ISO-2022-JP''{quote('身分証明.pdf'.encode('iso2022_jp'))}\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + b64(b"%PDF-1.4 fake") + f"--{boundary}--\r\n".encode()
    parsed = parse_mail(raw)
    assert parsed.subject == "個人情報開示のお願い"
    assert parsed.from_name == "山田 太郎" and parsed.from_address == "taro@example.jp"
    assert parsed.text == "開示をお願いします。"
    (attachment,) = parsed.attachments
    assert attachment.filename == "身分証明.pdf" and attachment.content_type == "application/pdf"
    assert attachment.size == len(b"%PDF-1.4 fake")


def test_html_only_mail_becomes_text_and_scripts_are_dropped() -> None:
    html = b"<html><head><style>p{}</style></head><body><p>Please <b>delete</b> my data.</p>" \
           b"<script>alert(1)</script></body></html>"
    parsed = parse_mail(mail(html, content_type="text/html"))
    assert parsed.html_only and "Please" in parsed.text and "delete" in parsed.text
    assert "alert" not in parsed.text and "<" not in parsed.text


def test_quoted_printable_and_base64_bodies() -> None:
    qp = parse_mail(mail(b"Caf=C3=A9 d=C3=A9j=C3=A0 vu, please delete my data", cte="quoted-printable"))
    assert qp.text.startswith("Café déjà vu")
    b = parse_mail(mail(b64("削除してください".encode()), cte="base64"))
    assert b.text == "削除してください"


def test_broken_multipart_and_bad_base64_do_not_raise() -> None:
    raw = (b"From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="never"\r\n\r\nno boundary here\r\n')
    parsed = parse_mail(raw)
    assert parsed.problems
    bad = parse_mail(mail(b"!!!not base64???", cte="base64"))
    assert bad.problems is not None


def test_nothing_usable_is_unparseable() -> None:
    with pytest.raises(Unparseable):
        parse_mail(b"")
    with pytest.raises(Unparseable):
        parse_mail(b"   \r\n\r\n")


def test_threading_headers() -> None:
    parsed = parse_mail(mail(b"ok", extra={"In-Reply-To": "<r1.privacy-desk@itosoft.example.com>",
                                           "References": "<a@example.jp> <r1.privacy-desk@itosoft.example.com>"}))
    assert parsed.in_reply_to == "<r1.privacy-desk@itosoft.example.com>"
    assert parsed.references == ["<a@example.jp>", "<r1.privacy-desk@itosoft.example.com>"]
