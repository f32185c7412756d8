"""Attachments without a server: which files are kept, how a kept one is offered, the preview, the notice to the
customer, the settings, and the MIME attachment of an outgoing mail."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from urllib.parse import unquote

import pytest
from PIL import Image

from privacy_desk.attachments import (
    AttachmentFile,
    AttachmentLimits,
    AttachmentStatus,
    Refusal,
    admit,
    clean_filename,
    content_disposition,
    describe_limit,
    download_type,
    refused_names,
)
from privacy_desk.errors import ConfigError, ReviewRefused
from privacy_desk.image_preview import NoPreview, preview_png
from privacy_desk.languages import Language
from privacy_desk.mail_out import OutgoingFile, compose
from privacy_desk.mail_plan import REPLY_LIMIT_PER_DAY, MailFacts, MailStep, plan_mail, with_refusal_notice
from privacy_desk.messages import IncomingMessage
from privacy_desk.plan import KeepIncoming, Plan, Reply
from privacy_desk.policy import RequestKind, load_pack
from privacy_desk.replies import Purpose, ReplyChannel, ReplyRenderer, reply_context
from privacy_desk.settings import Settings
from privacy_desk.staff_plan import staff_attachments
from privacy_desk.status import TicketStatus
from tests.mail.builders import tiny_jpeg, tiny_pdf

LIMITS = AttachmentLimits(max_bytes=1000, mail_max_bytes=1500)


def file(name: str, size: int, content_type: str = "application/pdf") -> AttachmentFile:
    return AttachmentFile(name, content_type, bytes([size % 251]) * size)


def test_files_over_the_per_file_limit_are_refused_and_keep_no_bytes() -> None:
    small, big = file("small.pdf", 400), file("big.pdf", 1001)
    kept, refused = admit([small, big], LIMITS)
    assert (kept.status, kept.data, kept.size) == (AttachmentStatus.STORED, small.data, 400)
    assert kept.sha256 == hashlib.sha256(small.data).hexdigest()
    assert (refused.status, refused.refusal, refused.data) == (AttachmentStatus.REFUSED, Refusal.FILE_TOO_LARGE,
                                                               None)
    assert refused.size == 1001 and refused.sha256 == hashlib.sha256(big.data).hexdigest()  # a record of what came
    assert refused_names([kept, refused]) == ("big.pdf",)


def test_the_per_mail_limit_refuses_the_file_that_would_cross_it_and_later_ones_may_still_fit() -> None:
    first, second, third = admit([file("a.pdf", 900), file("b.pdf", 900), file("c.pdf", 500)], LIMITS)
    assert first.status is AttachmentStatus.STORED
    assert (second.status, second.refusal) == (AttachmentStatus.REFUSED, Refusal.MAIL_TOO_LARGE)
    assert third.status is AttachmentStatus.STORED  # 900 + 500 is within 1,500


def test_file_names_are_made_safe_to_show_and_offer() -> None:
    assert clean_filename("C:\\Users\\taro\\個人情報.pdf") == "個人情報.pdf"
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("bad\x00name\r\n.txt") == "badname.txt"
    assert clean_filename(None, "application/pdf") == "attachment.pdf"
    assert clean_filename("...") == "attachment"
    long = clean_filename("x" * 400 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")


def test_downloads_carry_the_japanese_name_and_a_type_browsers_do_not_run() -> None:
    header = content_disposition("開示データ 2026.pdf")
    assert header.startswith('attachment; filename="')
    fallback = header.split('filename="')[1].split('"')[0]
    assert fallback.isascii() and fallback.endswith(".pdf")
    assert unquote(header.split("filename*=UTF-8''")[1]) == "開示データ 2026.pdf"
    assert content_disposition('a"b;c.txt').split(";")[1] == ' filename="a_b_c.txt"'
    assert download_type("application/pdf") == "application/pdf"
    assert download_type("IMAGE/JPEG; name=x") == "image/jpeg"
    for risky in ("text/html", "image/svg+xml", "application/xhtml+xml", "text/javascript", "text/plain", ""):
        assert download_type(risky) == "application/octet-stream", risky


def test_limits_read_as_customers_read_them() -> None:
    assert describe_limit(10 * 1024 * 1024) == "10 MB"
    assert describe_limit(1536 * 1024) == "1.5 MB"
    assert describe_limit(4000) == "3.9 KB"
    assert describe_limit(2000) == "2 KB"
    assert describe_limit(900) == "900 bytes"


# -- the preview ------------------------------------------------------------------------------------------

def test_the_preview_is_a_fresh_png_without_the_photo_metadata() -> None:
    photo = tiny_jpeg((64, 48))
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the source carries a GPS position
    preview = Image.open(io.BytesIO(preview_png(photo)))
    assert preview.format == "PNG" and preview.size == (64, 48)
    assert dict(preview.getexif()) == {} and "exif" not in preview.info
    assert preview.getpixel((10, 10))[0] > 150  # the same (red) picture


def test_large_images_are_scaled_down_and_oversized_ones_refused_before_decoding() -> None:
    big = tiny_jpeg((3000, 1000), with_gps=False)
    assert Image.open(io.BytesIO(preview_png(big, side=600))).size == (600, 200)
    with pytest.raises(NoPreview, match="3000x1000"):
        preview_png(big, max_pixels=1_000_000)


def test_no_preview_for_what_is_not_a_plain_image() -> None:
    with pytest.raises(NoPreview, match="not a readable image"):
        preview_png(tiny_pdf())
    with pytest.raises(NoPreview, match="not a readable image"):
        preview_png(tiny_jpeg()[:40])  # cut short
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="BMP")
    with pytest.raises(NoPreview, match="BMP"):
        preview_png(out.getvalue())


# -- telling the customer ------------------------------------------------------------------------------------

def test_only_steps_that_answer_carry_the_refused_files() -> None:
    refused = ("scan.pdf",)
    opened = plan_mail(MailFacts(intent="request_deletion", refused_files=refused))
    assert opened.step is MailStep.OPEN and opened.refused_files == refused
    kept = plan_mail(MailFacts(intent="chitchat", refused_files=refused))
    assert kept.step is MailStep.KEEP and kept.refused_files == ()
    machine = plan_mail(MailFacts(machine="auto-reply", refused_files=refused))
    assert machine.refused_files == ()


def test_the_first_mailed_reply_names_the_refused_files_or_a_reply_of_its_own_does() -> None:
    ack = Reply(Purpose.ACKNOWLEDGEMENT, ReplyChannel.EMAIL, Language.EN)
    own = Reply(Purpose.ATTACHMENT_REFUSED, ReplyChannel.EMAIL, Language.JA)
    plan = Plan("mail", "PRQ-2026-000001", (Reply(Purpose.ACKNOWLEDGEMENT, ReplyChannel.CHAT, Language.EN), ack,
                                            ack))
    told = with_refusal_notice(plan, ("scan.pdf",), own)
    assert [(c.purpose, c.refused_files) for c in told.changes if isinstance(c, Reply)] == [
        (Purpose.ACKNOWLEDGEMENT, ()), (Purpose.ACKNOWLEDGEMENT, ("scan.pdf",)), (Purpose.ACKNOWLEDGEMENT, ())]
    incoming = IncomingMessage(channel="email", body="Here is my passport scan.", language=Language.JA)
    silent = Plan("mail", "PRQ-2026-000001", (KeepIncoming(incoming),))
    assert with_refusal_notice(silent, ("a.pdf", "b.pdf"), own).changes[-1] == Reply(
        Purpose.ATTACHMENT_REFUSED, ReplyChannel.EMAIL, Language.JA, refused_files=("a.pdf", "b.pdf"))
    assert with_refusal_notice(silent, ("a.pdf",), None) == silent  # a ticket without an address
    loose = Plan("mail", None, (KeepIncoming(incoming, on_ticket=False),))
    assert with_refusal_notice(loose, ("a.pdf",), own) == loose


def test_a_reply_on_a_waiting_ticket_is_answered_about_its_files_unless_the_sender_floods() -> None:
    facts = MailFacts(ticket_status=TicketStatus.OPEN, intent="inform", refused_files=("scan.pdf",))
    assert plan_mail(facts).step is MailStep.FOLLOWUP and plan_mail(facts).refused_files == ("scan.pdf",)
    flood = replace(facts, replies_today=REPLY_LIMIT_PER_DAY)
    assert plan_mail(flood).refused_files == ()


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("purpose", [Purpose.ACKNOWLEDGEMENT, Purpose.ASK_DETAILS, Purpose.VERIFY_IDENTITY])
def test_the_reply_says_which_files_we_did_not_accept_and_how_else_to_send_them(language: Language,
                                                                                purpose: Purpose) -> None:
    pack, renderer = load_pack("itosoft"), ReplyRenderer()

    def body(**extra: object) -> str:
        context = reply_context(pack, language, kind=RequestKind.DISCLOSURE, reference="PRQ-2026-000007",
                                due=datetime(2026, 12, 7, tzinfo=UTC).date(), missing=[], code="123456",
                                code_minutes=30, **extra)  # type: ignore[arg-type]
        return renderer.render(purpose, ReplyChannel.EMAIL, language, context).body

    plain = body()
    told = body(refused_files=("健康診断.pdf", "scan.jpg"), attachment_limits=AttachmentLimits(4 * 1024 * 1024,
                                                                                            8 * 1024 * 1024))
    offered = body(refused_files=("scan.jpg",), attachment_limits=AttachmentLimits(
        other_way="https://upload.itosoft.example.com/"))
    assert "健康診断.pdf" not in plain and "scan.jpg" not in plain
    assert "健康診断.pdf" in told and "scan.jpg" in told and "4 MB" in told and "8 MB" in told
    assert "https://upload.itosoft.example.com/" in offered and "10 MB" in offered and "25 MB" in offered
    if language is Language.JA:
        assert "受け付けることができませんでした" in told and "下記の連絡先" in told
        assert "からお送りください" in offered
    else:
        assert "We could not accept these files" in told and "smaller mails" in told
        assert "We could not accept this file" in offered and "through https://upload" in offered
    assert told.rstrip().endswith(plain.rstrip().splitlines()[-1])  # the signature still closes the mail


def test_attachment_settings_from_the_environment() -> None:
    default = Settings.from_mapping({}).attachment_limits
    assert (default.max_bytes, default.mail_max_bytes, default.other_way) == (10 * 1024 * 1024, 25 * 1024 * 1024, "")
    set_ = Settings.from_mapping({"ATTACHMENT_MAX_BYTES": "2048", "ATTACHMENT_MAIL_MAX_BYTES": "4096",
                                  "ATTACHMENT_OTHER_WAY": " https://up.example.com "}).attachment_limits
    assert set_ == AttachmentLimits(2048, 4096, "https://up.example.com")
    with pytest.raises(ConfigError, match="ATTACHMENT_MAX_BYTES='ten' is not a whole number"):
        Settings.from_mapping({"ATTACHMENT_MAX_BYTES": "ten"})
    with pytest.raises(ConfigError, match="at least 1"):
        Settings.from_mapping({"ATTACHMENT_MAIL_MAX_BYTES": "0"})


def test_staff_files_over_a_limit_or_empty_refuse_the_reply() -> None:
    assert [f.filename for f in staff_attachments([file("ok.pdf", 10)], LIMITS)] == ["ok.pdf"]
    with pytest.raises(ReviewRefused, match=r"big\.pdf is larger than the 1000 bytes a file may have"):
        staff_attachments([file("big.pdf", 1001)], LIMITS)
    with pytest.raises(ReviewRefused, match="together"):
        staff_attachments([file("a.pdf", 900), file("b.pdf", 900)], LIMITS)
    with pytest.raises(ReviewRefused, match=r"empty\.pdf is empty"):
        staff_attachments([file("empty.pdf", 0)], LIMITS)


def test_an_outgoing_mail_carries_its_files_as_mime_attachments() -> None:
    pdf, jpeg = tiny_pdf(), tiny_jpeg()
    mail = compose(mail_from="privacy@itosoft.example.com", sender_name="ITO Soft", to="hanako@example.jp",
                   subject="[PRQ-2026-000001] 開示のご連絡", body="添付のとおりです。\n", message_id="<x@itosoft>",
                   language="ja", date=datetime(2026, 11, 23, tzinfo=UTC),
                   attachments=[OutgoingFile("開示データ.pdf", "application/pdf", pdf),
                                OutgoingFile("photo.jpg", "image/jpeg", jpeg),
                                OutgoingFile("odd", "multipart/mixed", b"raw")])
    parsed = email.message_from_bytes(mail.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_body(("plain",)).get_content().strip() == "添付のとおりです。"  # type: ignore[union-attr]
    files = [(p.get_filename(), p.get_content_type(), p.get_content()) for p in parsed.iter_attachments()]
    assert files == [("開示データ.pdf", "application/pdf", pdf), ("photo.jpg", "image/jpeg", jpeg),
                     ("odd", "application/octet-stream", b"raw")]
