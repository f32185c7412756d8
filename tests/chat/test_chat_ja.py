"""Japanese by chat: each request kind through the real Rasa and action servers, answered in Japanese."""

from __future__ import annotations

import uuid

import pytest

from privacy_desk.languages import Language
from privacy_desk.policy import Detail, RequestKind, Topic, load_pack
from tests.support.smtp import SmtpServer
from tests.support.stack import ChatStack

pytestmark = pytest.mark.rasa
PACK = load_pack("itosoft")
ANSWERS = {"name": "山田 太郎", "email": "yamada.taro@example.jp", "phone": "03-1234-5678",
           "company": "株式会社サンプル", "division": "総務部", "member_number": "M-204511",
           "address": "東京都千代田区1-2-3"}
OPENERS = {
    RequestKind.DISCLOSURE: "御社が保有している私の個人情報を開示してください",
    RequestKind.CORRECTION: "登録している住所が古いので訂正をお願いします",
    RequestKind.DELETION: "私の個人情報をすべて削除してください",
    RequestKind.DISCONTINUANCE: "私の個人情報の利用を停止してください",
    RequestKind.THIRD_PARTY_OPTOUT: "私の個人情報をパートナー企業など第三者に提供しないでください",
    RequestKind.MARKETING_OPTOUT: "メルマガとセミナー案内の配信を停止してください",
    RequestKind.COMPLAINT: "個人情報が漏えいしています。御社の個人情報の取り扱いに強く抗議します",
}
ASKS = {"name": "お名前", "email": "メールアドレス", "phone": "電話番号", "company": "会社名", "division": "部署名",
        "member_number": "会員番号", "address": "ご住所"}






@pytest.mark.parametrize("kind", list(OPENERS), ids=[k.value for k in OPENERS])
def test_each_request_kind_in_japanese(chat: ChatStack, chat_mail: SmtpServer, kind: RequestKind) -> None:
    sender = f"ja-{uuid.uuid4().hex[:10]}"
    replies = chat.say(sender, OPENERS[kind])
    assert PACK.rule(kind).description.ja in " ".join(replies), replies
    for detail in PACK.rule(kind).details:
        assert any(ASKS[detail.value] in r for r in replies), (detail, replies)
        replies = chat.say(sender, ANSWERS[detail.value])
    assert "送信してよろしいでしょうか" in replies[-1], replies
    submitted = "\n".join(chat.say(sender, "はい"))
    ticket = chat.tickets()[-1]
    assert ticket.kind == kind.value and ticket.language == "ja" and ticket.reference in submitted
    assert ticket.name == ANSWERS["name"]
    if PACK.rule(kind).needs_identity:
        code = chat_mail.mailbox.code_for(ticket.reference)
        (mail,) = [m for m in chat_mail.mailbox.messages if ticket.reference in m["Subject"]][-1:]
        assert mail.get_content_charset() == "utf-8" and "確認コード" in mail["Subject"]
        confirmed = "\n".join(chat.say(sender, code))
        assert "本人確認" in confirmed or "確認" in confirmed
        assert ticket.reference in confirmed
    text = submitted if not PACK.rule(kind).needs_identity else confirmed
    assert "年" in text and "月" in text and "日" in text  # the target date, written the Japanese way


@pytest.mark.parametrize(("question", "topic"), [
    ("個人情報は何のために使うのですか", Topic.PURPOSE),
    ("退会したら私のデータは消えますか？どれくらい保存されますか", Topic.SECURITY),
    ("開示請求に手数料はかかりますか", Topic.FEE),
])
def test_questions_are_answered_in_japanese(chat: ChatStack, question: str, topic: Topic) -> None:
    replies = "\n".join(chat.say(f"ja-{uuid.uuid4().hex[:10]}", question))
    for statement in PACK.answers[topic]:
        assert statement.get(Language.JA) in replies, replies


def test_greeting_follows_the_browser_language(chat: ChatStack) -> None:
    sender = f"ja-{uuid.uuid4().hex[:10]}"
    greeting = "\n".join(chat.say(sender, "/greet", metadata={"language": "ja"}))
    assert "個人情報" in greeting
    english = "\n".join(chat.say(sender, "What do you use my personal information for?"))
    assert PACK.answers[Topic.PURPOSE][0].en in english  # then it follows the language the visitor writes in


def test_japanese_entities_inside_japanese_text(chat: ChatStack) -> None:
    import json
    import subprocess
    import sys

    text = "株式会社サンプルの山田と申します。メールはyamada@example.jpです。TEL ０３－１２３４－５６７８"
    lines = [json.dumps({"text": text, "channel": "chat"}, ensure_ascii=False)]
    result = subprocess.run([sys.executable, "-m", "desk_app", "classify", "--rasa-url", chat.rasa_url],
                            input="\n".join(lines) + "\n", capture_output=True, text=True, env=chat.env, timeout=120)
    out = json.loads(result.stdout.splitlines()[0])
    assert out["language"] == "ja"
    assert out["entities"]["email"] == "yamada@example.jp"
    assert out["entities"]["phone"] == "０３－１２３４－５６７８"
    assert Detail.COMPANY.value in out["entities"]
