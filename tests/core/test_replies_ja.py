"""Every Japanese reply, for every kind under both packs, renders and holds no English left over."""

from __future__ import annotations

import re
from datetime import date

import pytest

from privacy_desk.languages import Language
from privacy_desk.policy import Detail, RequestKind, Topic, load_pack
from privacy_desk.replies import Purpose, ReplyChannel, ReplyRenderer, company_context, reply_context

RENDERER = ReplyRenderer()
# Data that is Latin by nature: references, addresses, URLs, phone numbers.
NOT_PROSE = re.compile(r"PRQ-\d{4}-\d{6}|[\w.+-]+@[\w.-]+|https?://\S+|\+?\d[\d\- ]+")
CASES = [(p, k, u, c) for p in ("itosoft", "qualitysoft") for k in RequestKind for u in Purpose for c in ReplyChannel]


def english_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{2,}", NOT_PROSE.sub(" ", text))


@pytest.mark.parametrize(("pack_id", "kind", "purpose", "channel"), CASES,
                         ids=[f"{p}-{k}-{u}-{c}" for p, k, u, c in CASES])
def test_japanese_reply(pack_id: str, kind: RequestKind, purpose: Purpose, channel: ReplyChannel) -> None:
    pack = load_pack(pack_id)
    rule = pack.rule(kind)
    for topic in Topic if purpose is Purpose.ANSWER else [Topic.PURPOSE]:
        context = reply_context(
            pack, Language.JA, kind=kind, reference="PRQ-2026-000042", due=date(2026, 12, 1),
            customer_name="山田 太郎", missing=list(rule.details), topic=topic, code="730194",
            code_minutes=30, ground=rule.refusal_grounds[0] if rule.refusal_grounds else None,
            subject="個人情報について", staff_message="対応いたしました。", channel=channel)
        reply = RENDERER.render(purpose, channel, Language.JA, context)
        text = (reply.subject or "") + "\n" + reply.body
        assert english_words(text) == [], text
        # Japanese text writes Japanese phone numbers in the domestic form.
        assert "+81" not in text
        assert "None" not in text
        if purpose is Purpose.ACKNOWLEDGEMENT:
            assert f"{rule.target.business_days}営業日以内（2026年12月1日まで）のご回答を目安としております。" in text
            assert "PRQ-2026-000042" in text
            for statement in rule.fee:
                assert statement.get(Language.JA) in text
        if purpose is Purpose.ANSWER:
            for statement in pack.answers[topic]:
                assert statement.get(Language.JA) in text
                if statement.policy:
                    assert f"（出典：当社{pack.policy_name.ja} {pack.cite(statement, Language.JA)}）" in text
        if purpose is Purpose.VERIFY_IDENTITY:
            assert ("730194" in text) == (channel is ReplyChannel.EMAIL)
        if purpose is Purpose.ASK_DETAILS and channel is ReplyChannel.EMAIL:
            labels = {Detail.NAME: "お名前", Detail.EMAIL: "メールアドレス", Detail.PHONE: "電話番号",
                      Detail.COMPANY: "会社名", Detail.DIVISION: "部署名", Detail.MEMBER_NUMBER: "会員番号",
                      Detail.ADDRESS: "住所"}
            for detail in rule.details:
                assert labels[detail] in text


@pytest.mark.parametrize("pack_id", ["itosoft", "qualitysoft"])
def test_japanese_chat_prompts(pack_id: str) -> None:
    pack = load_pack(pack_id)
    company = company_context(pack, Language.JA)
    request = {"description": pack.rule(RequestKind.DELETION).description.ja}
    calls = {
        "greet": {"company": company}, "goodbye": {}, "thank": {}, "out_of_scope": {"company": company},
        "start_request": {"request": request}, "cancelled": {}, "ask_code": {}, "code_expired": {},
        "code_wrong": {"attempts_left": 2}, "code_locked": {"reference": "PRQ-2026-000001"},
        "identity_confirmed": {}, "rephrase": {}, "offer_handoff": {}, "handoff_declined": {},
        "what_to_change": {}, "submit_failed": {}, "cancelled_after_ticket": {"reference": "PRQ-2026-000001"},
        "confirm_summary": {"request": request, "details": [("お名前", "山田 太郎")]},
        **{f"ask_detail:{d.value}": {"detail": d.value} for d in Detail},
        **{f"invalid_detail:{d.value}": {"detail": d.value} for d in Detail},
    }
    for name, kwargs in calls.items():
        text = RENDERER.prompt(Language.JA, name.split(":")[0], **kwargs)
        assert text and english_words(text) == [], (name, text)
