"""Loop and abuse protection: each RFC 3834 rule, and the signs auto-replies leave without Auto-Submitted."""

from __future__ import annotations

import pytest

from mail_ingest.loops import no_reply_reason
from mail_ingest.parse import parse_mail
from tests.mail.builders import encoded_word, mail

OURS = {"privacy@itosoft.example.com"}


def reason(sender: str = "Taro <taro@example.jp>", subject: str = "Please delete my data", **extra: str) -> str | None:
    return no_reply_reason(parse_mail(mail(b"Please delete my data.", sender=sender, subject=subject,
                                           extra={k.replace("_", "-"): v for k, v in extra.items()})), OURS)


def test_an_ordinary_request_may_be_answered() -> None:
    assert reason() is None
    assert reason(Auto_Submitted="no") is None
    assert reason(Precedence="first-class") is None


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
    ({"Auto_Submitted": "auto-generated"}, "Auto-Submitted"),
    ({"Precedence": "bulk"}, "Precedence: bulk"),
    ({"Precedence": "junk"}, "Precedence: junk"),
    ({"Precedence": "list"}, "Precedence: list"),
    ({"List_Id": "<news.example.com>"}, "list mail"),
    ({"List_Unsubscribe": "<mailto:u@example.com>"}, "list mail"),
    ({"Return_Path": "<>"}, "empty Return-Path"),
    ({"sender": "MAILER-DAEMON@mx.example.com"}, "automatic sender"),
    ({"sender": "postmaster@example.com"}, "automatic sender"),
    ({"sender": "no-reply@shop.example.com"}, "automatic sender"),
    ({"sender": "noreply@shop.example.com"}, "automatic sender"),
    ({"sender": "Privacy Desk <privacy@itosoft.example.com>"}, "our own address"),
    ({"X_Auto_Response_Suppress": "All"}, "X-Auto-Response-Suppress"),
    ({"X_Autoreply": "yes"}, "automatic reply"),
    ({"subject": "Automatic reply: Please delete my data"}, "subject"),
    ({"subject": "Out of Office: Re: your request"}, "subject"),
    ({"subject": "Undeliverable: [PRQ-2026-000001] We have received your request"}, "subject"),
    ({"subject": encoded_word("自動応答: 個人情報について")}, "subject"),
])
def test_never_answer(kwargs: dict[str, str], expected: str) -> None:
    result = reason(**kwargs)
    assert result is not None and expected in result


def test_delivery_reports_are_machines() -> None:
    raw = (b"From: Mail Delivery System <mailer@mx.example.com>\r\nSubject: Failure\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
           b"--r\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--r--\r\n")
    assert "report" in (no_reply_reason(parse_mail(raw), OURS) or "")
