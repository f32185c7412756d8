"""Every reply template renders for every request kind under both packs, and says what it must."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from privacy_desk.errors import TemplateError
from privacy_desk.languages import Language
from privacy_desk.policy import RequestKind, Topic, load_pack
from privacy_desk.replies import Purpose, RenderedReply, ReplyChannel, ReplyRenderer, long_date, reply_context

RENDERER = ReplyRenderer()
DUE = date(2026, 12, 1)
CASES = [
    (pack_id, kind, purpose, channel)
    for pack_id in ("itosoft", "qualitysoft")
    for kind in RequestKind
    for purpose in Purpose
    for channel in ReplyChannel
]


def render(pack_id: str, kind: RequestKind, purpose: Purpose, channel: ReplyChannel, **extra) -> RenderedReply:
    pack = load_pack(pack_id)
    rule = pack.rule(kind)
    context = reply_context(
        pack, Language.EN, kind=kind, reference="PRQ-2026-000042", due=DUE, customer_name="Hanako Suzuki",
        missing=list(rule.details), topic=Topic.SECURITY, code="730194", code_minutes=30,
        ground=rule.refusal_grounds[0] if rule.refusal_grounds else None, subject="About my data",
        staff_message=extra.pop("staff_message", None) or (None if rule.refusal_grounds else "Our reason."),
        channel=channel, **extra,
    )
    return RENDERER.render(purpose, channel, Language.EN, context)


@pytest.mark.parametrize(("pack_id", "kind", "purpose", "channel"), CASES,
                         ids=[f"{p}-{k}-{u}-{c}" for p, k, u, c in CASES])
def test_template_renders(pack_id: str, kind: RequestKind, purpose: Purpose, channel: ReplyChannel) -> None:
    pack = load_pack(pack_id)
    rule = pack.rule(kind)
    reply = render(pack_id, kind, purpose, channel)
    body = reply.body
    assert body.strip() and "None" not in body and "{{" not in body and "  " not in body.replace("\n", "")
    if channel is ReplyChannel.EMAIL:
        assert reply.subject and "\n" not in reply.subject
        assert pack.company.name.en in body
    else:
        assert reply.subject is None
    if purpose is not Purpose.ANSWER:
        assert "PRQ-2026-000042" in body
        assert rule.description.en in body
        if channel is ReplyChannel.EMAIL:
            assert "[PRQ-2026-000042]" in (reply.subject or "")

    if purpose is Purpose.ACKNOWLEDGEMENT:
        assert f"We aim to answer within {rule.target.business_days} business days, by 1 December 2026." in body
        assert "Our business days are Monday to Friday, except Japanese public holidays" in body
        for statement in [*rule.fee, *rule.caveats]:
            assert statement.en in body
        assert (pack.company.email or pack.company.phone.en) in body  # type: ignore[union-attr]
    elif purpose is Purpose.ASK_DETAILS:
        labels = {"name": "your full name", "email": "your email address", "phone": "a phone number",
                  "company": "your company name", "division": "your division", "member_number": "membership number",
                  "address": "your postal address"}
        for detail in rule.details:
            assert labels[detail.value] in body
    elif purpose is Purpose.VERIFY_IDENTITY:
        assert "30 minutes" in body
        if rule.identity_check.policy:
            assert f"Our privacy policy ({pack.cite(rule.identity_check, Language.EN)}) says" in body
        else:
            assert "policy" not in body.replace(pack.company.responsible.en, "").lower()
        # The code goes to the mailbox, never into the chat.
        assert ("730194" in body) == (channel is ReplyChannel.EMAIL)
    elif purpose is Purpose.ANSWER:
        for statement in pack.answers[Topic.SECURITY]:
            assert statement.en in body
            if statement.policy:
                assert f"{statement.en} (Source: our privacy policy, {pack.cite(statement, Language.EN)}.)" in body
    elif purpose is Purpose.REJECTED and rule.refusal_grounds:
        ground = rule.refusal_grounds[0]
        assert ground.reason.en in body and ground.quote is not None and ground.quote.en in body
        assert f"Our privacy policy ({pack.cite(ground, Language.EN)}) says:" in body
    elif purpose is Purpose.REJECTED:
        assert "This is our decision, for the following reason:" in body and "Our reason." in body
        assert "policy" not in body.replace(pack.company.responsible.en, "").lower()
    elif purpose is Purpose.RESOLVED:
        for caveat in rule.caveats:  # told before, not again once the request is done
            if caveat not in rule.after_completion:
                assert caveat.en not in body
        for statement in rule.after_completion:
            assert statement.en in body


def test_ask_details_lists_exactly_the_missing_ones() -> None:
    pack = load_pack("qualitysoft")
    context = reply_context(pack, Language.EN, kind=RequestKind.DELETION, reference="PRQ-2026-000001", due=DUE,
                            missing=[pack.rule(RequestKind.DELETION).details[-1]])
    email = RENDERER.render(Purpose.ASK_DETAILS, ReplyChannel.EMAIL, Language.EN, context).body
    bullet_lines = [line for line in email.splitlines() if line.startswith("- ")]
    assert len(bullet_lines) == 1
    assert "this detail" in email


def test_staff_message_and_unknown_template(tmp_path: Path) -> None:
    reply = render("itosoft", RequestKind.DELETION, Purpose.RESOLVED, ReplyChannel.EMAIL,
                   staff_message="All records under your membership were erased.")
    assert "All records under your membership were erased." in reply.body
    with pytest.raises(TemplateError, match=r"no reply template ja/email/acknowledgement\.j2"):
        ReplyRenderer(tmp_path).render(Purpose.ACKNOWLEDGEMENT, ReplyChannel.EMAIL, Language.JA, {})


def test_missing_context_is_an_error_not_a_blank() -> None:
    with pytest.raises(TemplateError, match=r"acknowledgement\.j2: .*undefined"):
        RENDERER.render(Purpose.ACKNOWLEDGEMENT, ReplyChannel.EMAIL, Language.EN, {"customer": {"name": None}})


def test_customer_text_is_not_interpreted() -> None:
    reply = render("itosoft", RequestKind.COMPLAINT, Purpose.RESOLVED, ReplyChannel.EMAIL,
                   staff_message="{{ company.email }} <b>x</b>")
    assert "{{ company.email }} <b>x</b>" in reply.body


def test_long_date() -> None:
    assert long_date(date(2026, 12, 1), "en") == "1 December 2026"
    assert long_date(date(2026, 12, 1), "ja") == "2026年12月1日"
