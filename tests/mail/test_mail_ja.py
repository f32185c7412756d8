"""Japanese by email, end to end: each request kind, a missing-details round trip, signature details."""

from __future__ import annotations

from email.utils import make_msgid

import pytest

from privacy_desk.policy import RequestKind, load_pack
from privacy_desk.verification import find_code
from tests.mail.builders import encoded_word, mail
from tests.mail.test_mail_flow import MailDesk, customer, desk, ticket_of  # noqa: F401 (desk is a fixture)

pytestmark = pytest.mark.rasa
PACK = load_pack("itosoft")
SIGNATURE = "\n\n--\n株式会社サンプル 総務部\n山田 太郎\nTEL ０３－１２３４－５６７８\n"
BODIES = {
    RequestKind.DISCLOSURE: ("個人情報開示のお願い", "お世話になっております。\n御社が保有している私の個人情報の開示をお願いいたします。"),
    RequestKind.CORRECTION: ("登録住所の訂正", "お世話になっております。\n登録している住所が古いため、訂正をお願いいたします。"),
    RequestKind.DELETION: ("個人情報削除のお願い", "お世話になっております。\n私の個人情報をすべて削除していただけますでしょうか。"),
    RequestKind.DISCONTINUANCE: ("利用停止のお願い", "お世話になっております。\n私の個人情報の利用を停止してください。"),
    RequestKind.THIRD_PARTY_OPTOUT: ("第三者提供の停止", "お世話になっております。\n私の個人情報を第三者に提供しないでください。"),
    RequestKind.MARKETING_OPTOUT: ("配信停止", "お世話になっております。\nメルマガとセミナー案内の配信を停止してください。"),
    RequestKind.COMPLAINT: ("個人情報の取り扱いについて", "御社から届いたメールに他人の個人情報が記載されていました。"
                                                   "個人情報の取り扱いについて苦情を申し上げます。"),
}


def japanese_mail(address: str, subject: str, body: str, codec: str = "iso2022_jp", **extra: str) -> bytes:
    charset = {"iso2022_jp": "ISO-2022-JP", "cp932": "Shift_JIS", "utf-8": "UTF-8"}[codec]
    if codec == "iso2022_jp":
        body = body.replace("\uff0d", "\u2212")  # JIS X 0208 has MINUS SIGN where CP932 has FULLWIDTH HYPHEN-MINUS
    return mail(body.encode(codec), charset=charset, cte="7bit" if codec.startswith("iso") else "8bit",
                sender=f"{encoded_word('山田 太郎')} <{address}>", subject=encoded_word(subject),
                message_id=make_msgid(domain="example.jp"), extra=extra)


@pytest.mark.parametrize("kind", list(BODIES), ids=[k.value for k in BODIES])
def test_each_request_kind_in_japanese_by_email(desk: MailDesk, kind: RequestKind) -> None:  # noqa: F811
    address = customer()
    subject, body = BODIES[kind]
    desk.send(japanese_mail(address, subject, body + SIGNATURE, codec="cp932" if kind.value < "m" else "iso2022_jp"))
    ticket = ticket_of(desk, address)
    assert ticket.kind == kind.value and ticket.language == "ja"
    # Details come from the Japanese signature block, as written.
    assert (ticket.name, ticket.company, ticket.division) == ("山田 太郎", "株式会社サンプル", "総務部")
    (reply,) = desk.mail_to(address)
    text = reply.get_content()
    assert ticket.reference in reply["Subject"] and reply.get_content_charset() == "utf-8"
    assert "様" in text and ("年" in text or "確認コード" in text)  # acknowledgement, or the code first
    assert PACK.company.name.ja in text


def test_missing_details_round_trip_in_japanese(desk: MailDesk) -> None:  # noqa: F811
    address = customer()
    desk.send(japanese_mail(address, "削除依頼", "個人情報を削除してください。", codec="utf-8"))
    ticket = ticket_of(desk, address)
    first = desk.mail_to(address)[0]
    if ticket.status == "awaiting_details":
        assert "お名前" in first.get_content()
        desk.send(japanese_mail(address, f"Re: {first['Subject']}", "名前は山田 太郎です。\n\n山田 太郎\n", codec="utf-8",
                                **{"In-Reply-To": first["Message-ID"]}))
        code_mail = desk.mail_to(address, 2)[-1]
    else:
        code_mail = first
    assert "確認コード" in code_mail["Subject"]
    code = find_code(code_mail.get_content())
    desk.send(japanese_mail(address, f"Re: {code_mail['Subject']}", f"確認コードは{code}です。", codec="utf-8"))
    ack = desk.mail_to(address, 3 if ticket.status == "awaiting_details" else 2)[-1]
    assert "受け付けました" in ack["Subject"]
    assert ticket_of(desk, address).identity_confirmed_at is not None
