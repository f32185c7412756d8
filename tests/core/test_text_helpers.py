"""Pure helpers: language detection, contact details, mail text splitting, picking the intent."""

import httpx
import pytest

from privacy_desk.classify import (
    BUSINESS_INTENTS,
    MODEL_TEXT_LIMIT,
    NluClient,
    NluRefused,
    NluUnavailable,
    classify,
    collect_entities,
    model_text,
    pick_intent,
)
from privacy_desk.contact import clean_name, find_email, find_phone, name_from_answer
from privacy_desk.languages import Language, detect_language
from privacy_desk.mailtext import is_machine_line, split_mail_text, without_machine_lines
from privacy_desk.signature import find_address, is_addressee_line, signature_details, trailing_signature
from privacy_desk.verification import find_code


@pytest.mark.parametrize(("text", "language"), [
    ("delete my data", Language.EN),
    ("個人情報を削除してください", Language.JA),
    ("ﾒﾙﾏｶﾞ解除", Language.JA),
    ("My name is 山田太郎, please delete my data", Language.EN),
    ("メールアドレスはtaro.yamada@example.co.jpです。削除お願いします", Language.JA),
    ("Hi, I want to stop the newsletter. ありがとう", Language.EN),
    ("お世話になっております。\n退会と個人情報の削除をお願いします。\n--\nTaro Yamada\nExample Corp\nTEL 03-1234-5678",
     Language.JA),
])
def test_detect_language(text: str, language: Language) -> None:
    assert detect_language(text) is language


def test_contact_details() -> None:
    assert find_email("it is Taro.Yamada@example.co.jp thanks") == "Taro.Yamada@example.co.jp"
    assert find_email("taro at example dot com") is None
    assert find_phone("call 03-1234-5678 please") == "03-1234-5678"
    assert find_phone("+1 (555) 010-2030") == "+1 (555) 010-2030"
    assert find_phone("12") is None
    assert clean_name("My name is Taro Yamada.") == "Taro Yamada"
    assert clean_name("山田太郎です") == "山田太郎"
    assert clean_name("I want you to delete all of my personal data") is None
    assert clean_name("taro@example.jp") is None


def test_find_code_ignores_references() -> None:
    assert find_code("the code is ４８２９１３") == "482913"
    assert find_code("Re: [PRQ-2026-000123] 1234") is None


def test_split_mail_text_english_and_japanese() -> None:
    english = ("Dear team,\n\nPlease delete my account.\n\nBest regards,\nTaro Yamada\nExample Corp\n"
               "Tel: 03-1234-5678\n\n"
               "On Mon, 2 Nov 2026 at 10:02, ITO Support <support@itosoft.com> wrote:\n> Thanks for your order.\n")
    parts = split_mail_text(english)
    assert "delete my account" in parts.new_text and "order" not in parts.new_text
    assert "03-1234-5678" in parts.signature and "Thanks for your order" in parts.quoted
    japanese = ("お世話になっております。\n個人情報の削除をお願いします。\n--\n株式会社サンプル 総務部\n山田 太郎\n\n"
                "-----Original Message-----\nFrom: support@itosoft.com\n件名: ご注文\nありがとうございます\n")
    parts = split_mail_text(japanese)
    assert "削除" in parts.new_text and "ありがとうございます" not in parts.new_text
    assert "総務部" in parts.signature


def test_pick_intent_skips_fallback_and_mechanics() -> None:
    parsed = {"intent": {"name": "nlu_fallback", "confidence": 1.0},
              "intent_ranking": [{"name": "nlu_fallback", "confidence": 1.0}, {"name": "greet", "confidence": 0.4},
                                 {"name": "request_deletion", "confidence": 0.3}]}
    assert pick_intent(parsed, BUSINESS_INTENTS) == ("request_deletion", 0.3)


def test_collect_entities_keeps_values_as_written() -> None:
    text = "メールはａ@example.jpです、TEL ０３-1234-5678"
    email, phone = text.index("ａ"), text.index("０")
    parsed = {"entities": [
        {"entity": "phone", "start": phone, "end": len(text), "value": "03-1234-5678"},
        {"entity": "email", "start": email, "end": email + 12, "value": "a@example.jp",
         "extractor": "RegexEntityExtractor"},
        {"entity": "email", "start": 0, "end": 3, "value": "メール", "extractor": "DIETClassifier"},
        {"entity": "colour", "start": 0, "end": 2, "value": "x"},
    ]}
    assert collect_entities([(text, parsed)]) == {"email": "ａ@example.jp", "phone": "０３-1234-5678"}


def test_signature_details() -> None:
    english = signature_details("Best regards,\nHanako Suzuki\nExample Trading K.K.\nSales Department\n"
                                "Tel: 03-1234-5678\nhanako.suzuki@example.jp")
    assert english == {"name": "Hanako Suzuki", "company": "Example Trading K.K.", "division": "Sales Department",
                       "phone": "03-1234-5678", "email": "hanako.suzuki@example.jp"}
    japanese = signature_details("--\n株式会社サンプル 総務部\n山田 太郎\nTEL ０３－１２３４－５６７８\n"
                                 "Mail: taro@example.jp")
    assert japanese == {"company": "株式会社サンプル", "division": "総務部", "name": "山田 太郎",
                        "phone": "０３－１２３４－５６７８", "email": "taro@example.jp"}


def test_signature_member_numbers_need_their_label() -> None:
    assert signature_details("Regards,\nMariko Inoue\nMember No. M-880412") == {
        "name": "Mariko Inoue", "member_number": "M-880412"}
    assert signature_details("--\n山田 太郎\n会員番号：ＡＢ１２３４５")["member_number"] == "ＡＢ１２３４５"
    assert "member_number" not in signature_details("Regards,\nMariko Inoue\nTel: 03-1234-5678\nRoom 1204")


def test_classify_marks_the_models_own_fallback_as_uncertain() -> None:
    class Nlu:
        def parse(self, text: str) -> dict:
            return {"intent": {"name": "nlu_fallback", "confidence": 0.45},
                    "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45},
                                       {"name": "request_marketing_optout", "confidence": 0.2}], "entities": []}

    result = classify(Nlu(), "テスト", "test", "email")  # type: ignore[arg-type]
    assert (result.intent, result.uncertain, result.language) == ("request_marketing_optout", True, Language.JA)


def test_a_chat_only_intent_winning_for_a_mail_is_uncertain() -> None:
    class Nlu:
        def parse(self, text: str) -> dict:
            return {"intent": {"name": "inform", "confidence": 0.99},
                    "intent_ranking": [{"name": "inform", "confidence": 0.99},
                                       {"name": "request_deletion", "confidence": 0.01}], "entities": []}

    assert classify(Nlu(), "テスト", None, "email").uncertain  # type: ignore[arg-type]
    assert not classify(Nlu(), "Taro Yamada", None, "chat").uncertain  # type: ignore[arg-type]


def test_the_whole_typed_name_wins_over_a_partial_entity() -> None:
    assert name_from_answer("Hanako", "Hanako Staffview") == "Hanako Staffview"
    assert name_from_answer("Taro Yamada", "my name is Taro Yamada") == "Taro Yamada"
    assert name_from_answer(None, "山田 太郎です") == "山田 太郎"
    # A typed answer that is not a name keeps what the model found.
    assert name_from_answer("Hanako", "Hanako, hanako@example.jp") == "Hanako"


def test_signature_details_one_line_and_grouped_japanese_signatures() -> None:
    assert signature_details("株式会社アオイ機械 設計部 上野") == {
        "company": "株式会社アオイ機械", "division": "設計部", "name": "上野"}
    assert signature_details("株式会社ミナト商会\n総務部 法務グループ\n川口 直人\nTel: 045-555-0101") == {
        "company": "株式会社ミナト商会", "division": "総務部 法務グループ", "name": "川口 直人",
        "phone": "045-555-0101"}
    assert signature_details("--\n（株）サンプル\n購買部 大森 剛") == {
        "company": "（株）サンプル", "division": "購買部", "name": "大森 剛"}
    # The recipient's name in a salutation is not the sender's.
    assert signature_details("クオリティソフト株式会社 ご担当者様\n山本 花") == {"name": "山本 花"}


def test_trailing_signature_after_the_closing_phrase() -> None:
    body = ("お世話になっております。\nメルマガの配信を停止してください。\n\n"
            "よろしくお願いいたします。\n株式会社アオイ機械 設計部 上野")
    assert trailing_signature(body) == "株式会社アオイ機械 設計部 上野"
    assert trailing_signature("Please delete my data.\n\nBest regards,\nJohn Miller\nNorthwind Traders Inc.") == (
        "John Miller\nNorthwind Traders Inc.")
    assert trailing_signature("Please delete my data. Thanks") == ""
    long_tail = "よろしくお願いします。\n" + "\n".join(f"追伸{n}: " + "長い文章です。" * 12 for n in range(2))
    assert trailing_signature(long_tail) == ""


def test_find_address_and_addressee_lines() -> None:
    address = "〒530-0001 大阪府大阪市北区梅田1-2-3"
    assert find_address(f"送付先：{address} までお願いします") == address
    assert find_address("住所は東京都港区芝公園4-2-8です") == "東京都港区芝公園4-2-8"
    assert find_address("東京に住んでいます") is None
    assert is_addressee_line("株式会社イトーソフトデザイン 個人情報ご担当者 御中")
    assert is_addressee_line("Dear Privacy Team,")
    assert not is_addressee_line("株式会社ミナト 総務部")


def test_collect_entities_skips_the_addressee_and_fragments() -> None:
    text = "クオリティソフト株式会社 ご担当者様\n削除してください。会員番号は1です"
    parsed = {"entities": [
        {"entity": "company", "start": 0, "end": 12, "value": "クオリティソフト株式会社"},
        {"entity": "member_number", "start": text.index("1"), "end": text.index("1") + 1, "value": "1"},
    ]}
    assert collect_entities([(text, parsed)]) == {}
    fragment = {"entities": [{"entity": "company", "start": 0, "end": 4, "value": "株式会社"}]}
    assert collect_entities([("株式会社ハルカ", fragment)]) == {}


def test_signature_details_international_legal_forms_and_plain_divisions() -> None:
    assert signature_details("Regards,\nAnna Berg\nIT Services\nLind Skog AB") == {
        "name": "Anna Berg", "division": "IT Services", "company": "Lind Skog AB"}
    assert signature_details("Regards,\nPierre Martin\nFinance\nMartin Conseil SAS") == {
        "name": "Pierre Martin", "division": "Finance", "company": "Martin Conseil SAS"}


def test_collect_entities_drops_values_over_a_line_break() -> None:
    text = "Best regards,\nTaro Yamada\nExample Corp."
    parsed = {"entities": [{"entity": "company", "start": text.index("Taro"), "end": len(text), "value": "x"}]}
    assert collect_entities([(text, parsed)]) == {}


def test_model_text_puts_the_subject_first_and_keeps_short_text_whole() -> None:
    assert model_text("Please delete my data.", " Deletion ") == "Deletion\nPlease delete my data."
    assert model_text("Please delete my data.", "  ") == "Please delete my data."


def test_model_text_cuts_long_text_at_a_line_break() -> None:
    body = "Please send me a copy of my data.\n" + "2026-11-01 12:00:01 INFO sync ok\n" * 10_000
    text = model_text(body, "Access request")
    assert len(text) <= MODEL_TEXT_LIMIT and len(text) > MODEL_TEXT_LIMIT * 4 // 5
    assert text.startswith("Access request\nPlease send me a copy of my data.\n") and text.endswith("sync ok")
    assert len(model_text("x" * 20_000)) == MODEL_TEXT_LIMIT  # no line break: a hard cut


def test_model_text_replaces_lone_surrogates_one_for_one() -> None:
    text = model_text("bad \udce9 byte, email ken@example.com")
    assert text == "bad ? byte, email ken@example.com"
    text.encode("utf-8")


class RecordingNlu:
    """Reads every text as a disclosure request and keeps what it was given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def parse(self, text: str) -> dict:
        self.seen.append(text)
        return {"intent": {"name": "request_disclosure", "confidence": 0.9},
                "intent_ranking": [{"name": "request_disclosure", "confidence": 0.9}], "entities": []}


def test_classify_sends_the_model_at_most_the_limit() -> None:
    nlu = RecordingNlu()
    seen = nlu.seen
    log = "Please send me my data.\n" + "trace line\n" * 50_000
    assert classify(nlu, log, "Re: data", "email").intent == "request_disclosure"  # type: ignore[arg-type]
    assert classify(nlu, log, None, "chat").intent == "request_disclosure"  # type: ignore[arg-type]
    assert all(len(text) <= MODEL_TEXT_LIMIT for text in seen) and len(seen) == 2


def answering(*statuses: int) -> tuple[NluClient, list[int]]:
    """An NluClient whose server answers with these statuses in turn (Rasa's error body on errors)."""
    calls: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        status = statuses[len(calls)]
        calls.append(status)
        if status == 200:
            return httpx.Response(200, json={"intent": {"name": "greet", "confidence": 1.0}})
        return httpx.Response(status, json={"status": "failure", "reason": "ParsingError"})

    return NluClient("http://rasa.invalid", transport=httpx.MockTransport(handle)), calls


def test_a_server_error_for_one_text_is_a_refusal_not_retried() -> None:
    nlu, calls = answering(500, 200)
    with pytest.raises(NluRefused, match="status 500 ParsingError"):
        nlu.parse("some text")
    assert calls == [500]


def test_a_gateway_error_is_retried_once_then_unavailable() -> None:
    nlu, calls = answering(503, 200)
    assert nlu.parse("hi")["intent"]["name"] == "greet"
    nlu, calls = answering(502, 504)
    with pytest.raises(NluUnavailable):
        nlu.parse("hi")
    assert calls == [502, 504]


@pytest.mark.parametrize("line", [
    "2026-11-01 12:00:01 INFO sync ok id=4411 rows=12 t=0.2 s",
    "[2026-11-01T12:00:01Z] upload finished",
    "Dec  3 10:00:01 host sshd[123]: Accepted publickey",
    "12:00:01.123 worker started",
    "ERROR: connection refused",
    "[warn] retrying",
    "E/AndroidRuntime(1234): FATAL EXCEPTION: main",
    "2026-11-01 12:00:01 同期に失敗しました",
    "Traceback (most recent call last):",
    '  File "sync.py", line 12, in main',
    "    at com.example.sync.Worker.run(Worker.java:88)",
    "Caused by: java.io.IOException: closed",
    "java.lang.NullPointerException",
    "TypeError: cannot read properties of undefined",
    "user_id=4411 session=9f2c token=abc",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0",
    "a3f5c9e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2",
    '{"id": 4411, "rows": [1, 2, 3], "ok": true}',
    "if (user) { sync(user.id); }",
])
def test_machine_made_lines_are_recognised(line: str) -> None:
    assert is_machine_line(line)


@pytest.mark.parametrize("line", [
    "Please delete my data.",
    "I got an ERROR when I tried to delete my account",
    "Error: I cannot log in, please help",
    "Name: Ken Sato",
    "Member number: ITO-58210",
    "Phone: +81 90-1234-5678 / 03-1234-5678",
    "My email is taro.yamada.verylongname.account@example-company.co.jp",
    "See https://www.example.com/member/account/settings/privacy/delete",
    "At 10:00:00 I called your office",
    "12:30:00に電話しました",
    "2026-11-01 12:00 に問い合わせました",
    "My member number is [QS-30417], please delete my data.",
    "I want <this> and [that] removed",
    "",
])
def test_lines_people_write_are_kept(line: str) -> None:
    assert not is_machine_line(line)


def test_without_machine_lines_keeps_what_a_person_wrote() -> None:
    body = ("Hello,\n\nPlease send me a copy of my data.\n\nThe log:\n"
            + "2026-11-01 12:00:01 INFO sync ok id=4411 rows=12\n" * 50
            + "```\nsome pasted output\n```\n\nAnd please hurry.\n\nBest regards,\nKen Sato\n")
    assert without_machine_lines(body) == ("Hello,\n\nPlease send me a copy of my data.\n\nThe log:\n\n"
                                           "And please hurry.\n\nBest regards,\nKen Sato")
    assert without_machine_lines("2026-11-01 12:00:01 INFO a\nuser=1 id=2\n") == ""
    assert without_machine_lines("Please delete my data.") == "Please delete my data."
    long = "Please delete my data.\n" + "a line of mine\n" * 10_000
    assert len(without_machine_lines(long, keep=1000)) < 1100


def test_classify_reads_a_request_above_a_pasted_log_without_the_log() -> None:
    nlu = RecordingNlu()
    seen = nlu.seen
    body = ("Hello,\n\nPlease send me a copy of all personal data you hold about me.\n\nThe sync log:\n"
            + "2026-11-01 12:00:01 INFO sync ok id=4411 rows=12 t=0.2 s\n" * 6000
            + "\nBest regards,\nKen Sato\nken.sato@example.com\n")
    result = classify(nlu, body, "My data", "email")  # type: ignore[arg-type]
    assert "INFO" not in seen[0] and seen[0].startswith("My data\nHello,\n\nPlease send me a copy")
    assert result.entities["email"] == "ken.sato@example.com"  # the signature is still read, below the log
    # A body that is only a pasted log is read from its subject; a chat line that is only a log is read as it is.
    classify(nlu, "2026-11-01 12:00:01 ERROR sync failed code=7\n" * 3, "Please delete my data", "email")  # type: ignore[arg-type]
    assert seen[1] == "Please delete my data"
    classify(nlu, "user=1 id=2", None, "chat")  # type: ignore[arg-type]
    assert seen[2] == "user=1 id=2"
