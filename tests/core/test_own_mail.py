"""Pure pieces of the mail decisions: what a body says beyond greetings, signatures and quotes; which addresses
and messages are ours."""

from __future__ import annotations

import pytest

from privacy_desk.mail_out import new_message_id
from privacy_desk.mailtext import customer_words, split_mail_text, subject_words
from privacy_desk.own_mail import answers_our_mail, own_addresses
from privacy_desk.policy import load_pack
from privacy_desk.settings import Settings


@pytest.mark.parametrize("body", [
    "", "Hi,", "Hello,\n\nThanks,\nTaro Yamada", "--\nTaro Yamada\nExample Corp\nTel 03-1234-5678",
    "Sent from my iPhone", "> quoted only\n> more", "On Mon, 1 Dec 2026 at 10:00, Support <s@example.jp> wrote:\n> x",
    "-----Original Message-----\nFrom: x\n\nold text", "お世話になっております。\nよろしくお願いいたします。\n山田",
    "山田様\n\nよろしくお願いします。", "iPhoneから送信",
])
def test_bodies_that_say_nothing(body: str) -> None:
    assert customer_words(split_mail_text(body).new_text) == ""


@pytest.mark.parametrize(("body", "words"), [
    ("Please delete my data.\nThanks", "Please delete my data."),
    ("Delete", "Delete"),
    ("482913", "482913"),  # a verification code is the customer's word
    ("山田様\n\n削除をお願いします", "削除をお願いします"),
    ("Hi,\nstop the newsletters please\n\nOn Mon, Support wrote:\n> old", "stop the newsletters please"),
])
def test_bodies_that_say_something(body: str, words: str) -> None:
    assert customer_words(split_mail_text(body).new_text) == words


def test_subject_words_drop_reply_prefixes_and_tags() -> None:
    assert subject_words("Re: Fwd: [PRQ-2026-000001] Delete my data") == "Delete my data"
    assert subject_words("RE: AW:") == "" and subject_words(None) == ""
    assert subject_words("返信: 個人情報の削除") == "個人情報の削除"


def test_our_addresses_are_known_in_one_place() -> None:
    settings = Settings.from_mapping({"MAIL_FROM": "Privacy@ITO.example.com",
                                      "MAIL_ALIASES": "help@ito.example.com, desk@ito.example.com"})
    ours = own_addresses(settings.mail_from, settings.mail_aliases, load_pack("itosoft"))
    assert ours == {"privacy@ito.example.com", "help@ito.example.com", "desk@ito.example.com", "support@itosoft.com"}
    # QualitySoft's policy gives no email address: only ours.
    assert own_addresses("a@qs.example.com", (), load_pack("qualitysoft")) == {"a@qs.example.com"}


def test_our_message_ids_are_recognised() -> None:
    ours = new_message_id("privacy@ito.example.com")
    assert answers_our_mail([None, "<x@example.jp>", ours], "privacy@ito.example.com")
    assert not answers_our_mail(["<x@example.jp>"], "privacy@ito.example.com")
    assert not answers_our_mail([ours], "privacy@other.example.com")
