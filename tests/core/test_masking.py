"""Personal data leaves a customer's text before it may become a training example (English and Japanese)."""

from __future__ import annotations

import pytest

from privacy_desk.masking import KnownValues, mask, name_parts


def test_english_text_loses_name_email_phone_member_number_and_address() -> None:
    text = ("Hi, I'm Hanako Suzuki, please delete my data. Mail hanako@example.jp or call 090-1234-5678. "
            "Member no. M-204511. I live at 1-2-3 Shibuya, Shibuya-ku, Tokyo 150-0002.")
    masked = mask(text, KnownValues(name="Hanako Suzuki"))
    assert masked == ("Hi, I'm [name], please delete my data. Mail [email] or call [phone]. "
                      "Member no. [member_number]. I live at [address].")


def test_japanese_text_loses_name_postal_address_phone_member_number_and_fullwidth_email() -> None:
    text = ("鈴木花子です。〒150-0002 東京都渋谷区渋谷1-2-3に住んでいます。電話は03-1234-5678、"
            "会員番号はITO-48120です。メールはhanako＠example.jp")
    masked = mask(text, KnownValues(name="鈴木 花子"))
    assert masked == ("[name]です。[address]に住んでいます。電話は[phone]、会員番号は[member_number]です。"
                      "メールは[email]")


@pytest.mark.parametrize(("text", "expected"), [
    ("Suzuki here, call +44 20 7946 0958", "[name] here, call [phone]"),
    ("I live at 14 Linden Street, Cork", "I live at [address]"),
    ("大阪市北区梅田1丁目2番3号の者です", "[address]の者です"),
    ("会員番号：10023456 です", "会員番号：[member_number] です"),
    ("membership number 10087342 please", "membership number [member_number] please"),
    ("Re: [PRQ-2026-000123] my request", "Re: [[reference]] my request"),
    ("My name is Ken Sato and I want my data", "My name is [name] and I want my data"),
    ("Please delete it. Regards, Emily Clark", "Please delete it. Regards, [name]"),
    ("田中と申します。削除希望です", "[name]と申します。削除希望です"),
    ("私は佐藤 花子です。", "私は[name]です。"),
])
def test_each_kind_of_personal_data_is_found_on_its_own(text: str, expected: str) -> None:
    assert mask(text, KnownValues(name="Hanako Suzuki")) == expected


def test_values_known_on_the_ticket_are_masked_whatever_their_shape() -> None:
    known = KnownValues(name="Taro Yamada", member_number="abc77", address="Flat 3, The Maltings")
    assert mask("taro yamada, abc77, Flat 3, The Maltings", known) == "[name], [member_number], [address]"


def test_the_senders_address_names_them_too() -> None:
    masked = mask("Hi, Taro here. Delete it.", KnownValues(email="taro.yamada@example.jp"))
    assert masked == "Hi, [name] here. Delete it."


def test_text_without_personal_data_is_unchanged() -> None:
    text = "Do you share my data with other companies? I have been a member since 2019."
    assert mask(text) == text
    assert mask("個人情報を第三者に提供していますか？") == "個人情報を第三者に提供していますか？"
    assert mask("削除です。お願いします") == "削除です。お願いします"


def test_name_parts_include_the_whole_name_unspaced_and_each_part() -> None:
    assert name_parts("鈴木 花子") == ["鈴木 花子", "鈴木花子", "鈴木", "花子"]
