"""No reply attributes to the policy what the policy does not say.

Every reply under both packs, in both languages, on both channels, for every kind, topic and refusal ground is
rendered with markers around each text from the pack (`policy`, `silent`, `setting`). Then:
- the template's own words and every company setting name neither the policy nor a section of it;
- a text from the policy carries its citation; a statement of the policy's silence names the policy and cites
  nothing.
A deliberately wrong template shows that the check catches a setting worded as the policy's.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from privacy_desk.basis import Basis
from privacy_desk.languages import Language
from privacy_desk.policy import Detail, PolicyPack, RequestKind, Topic, load_pack
from privacy_desk.replies import RESPONSES_DIR, Purpose, ReplyChannel, ReplyRenderer, company_context, reply_context

OPEN, MID, CLOSE = "\ue000", "\ue001", "\ue002"
ATTRIBUTION = {Language.EN: re.compile(r"\bpolic(y|ies)\b|\bsections? \d", re.I),
               Language.JA: re.compile(r"ポリシー|方針|第\d+項")}
PACKS = ["itosoft", "qualitysoft"]


def mark(basis: Basis) -> tuple[str, str]:
    return f"{OPEN}{basis.value}{MID}", CLOSE


@dataclass
class Span:
    basis: Basis
    text: str


def split(rendered: str) -> tuple[str, list[Span]]:
    """The template's own words (spans replaced by a blank) and the marked spans."""
    outside, spans, i = [], [], 0
    while (start := rendered.find(OPEN, i)) != -1:
        outside.append(rendered[i:start])
        middle, end = rendered.index(MID, start), rendered.index(CLOSE, start)
        inner = rendered[middle + 1:end]
        assert OPEN not in inner, "marked texts never nest"
        spans.append(Span(Basis(rendered[start + 1:middle]), inner))
        outside.append(" ")
        i = end + 1
    outside.append(rendered[i:])
    return "".join(outside), spans


def problems(pack: PolicyPack, language: Language, rendered: str) -> list[str]:
    # The company's own names are not attributions ("Person in charge of the Privacy Policy").
    names = [pack.company.responsible.get(language), pack.company.name.get(language)]
    cites = [text.get(language) for text in pack.sections.values()]
    phrases = ATTRIBUTION[language]
    # Office hours are a contact detail in a signature line: from the policy, stated, not cited there.
    uncited = {pack.company.office_hours.get(language)} if pack.company.office_hours else set()

    def attributes(text: str) -> bool:
        for name in names:
            text = text.replace(name, "")
        return bool(phrases.search(text)) or any(cite in text for cite in cites)

    outside, spans = split(rendered)
    found = []
    if attributes(outside):
        found.append(f"the template's own words cite the policy: {outside!r}")
    for span in spans:
        if span.basis is Basis.SETTING and attributes(span.text):
            found.append(f"a company setting is worded as the policy's: {span.text!r}")
        if span.basis is Basis.POLICY and span.text not in uncited and not any(c in span.text for c in cites):
            found.append(f"a text from the policy carries no citation: {span.text!r}")
        if span.basis is Basis.SILENT and (not attributes(span.text) or any(c in span.text for c in cites)):
            found.append(f"a statement of the policy's silence must name it and cite nothing: {span.text!r}")
    return found


def every_reply(pack_id: str, language: Language, renderer: ReplyRenderer) -> list[tuple[str, str]]:
    """(what, rendered text) for every reply the desk and staff can send under this pack."""
    pack = load_pack(pack_id)
    out = []
    for kind in RequestKind:
        rule = pack.rule(kind)
        grounds = [*rule.refusal_grounds, None]  # None: staff's own decision
        for channel in ReplyChannel:
            for purpose in Purpose:
                for topic in (Topic if purpose is Purpose.ANSWER else [None]):
                    for ground in (grounds if purpose is Purpose.REJECTED else [None]):
                        context = reply_context(
                            pack, language, kind=kind, reference="PRQ-2026-000042", due=date(2027, 1, 18),
                            customer_name="Hanako", missing=list(Detail), topic=topic, code="123456",
                            code_minutes=30, ground=ground, subject="Data",
                            staff_message="Done." if ground is None else None, channel=channel, mark=mark)
                        reply = renderer.render(purpose, channel, language, context)
                        what = f"{pack_id}/{language}/{channel}/{purpose}/{kind}/{topic}/{ground and ground.id}"
                        out.append((what, f"{reply.subject or ''}\n{reply.body}"))
    return out


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("pack_id", PACKS)
def test_no_reply_attributes_a_setting_to_the_policy(pack_id: str, language: Language) -> None:
    pack, renderer = load_pack(pack_id), ReplyRenderer()
    replies = every_reply(pack_id, language, renderer)
    assert len(replies) > 150
    found = [f"{what}: {problem}" for what, text in replies for problem in problems(pack, language, text)]
    assert found == []
    # The check saw texts of every basis the pack uses.
    seen = {span.basis for _, text in replies for span in split(text)[1]}
    assert seen == {s.basis for _, s in pack.grounded()}


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("pack_id", PACKS)
def test_chat_prompts_never_cite_the_policy(pack_id: str, language: Language) -> None:
    pack, renderer = load_pack(pack_id), ReplyRenderer()
    company = company_context(pack, language, mark)
    request = {"description": pack.rule(RequestKind.DELETION).description.get(language)}
    for name, kwargs in {"greet": {"company": company}, "out_of_scope": {"company": company},
                         "start_request": {"request": request}, "rephrase": {}, "offer_handoff": {},
                         "submit_failed": {}, "code_locked": {"reference": "PRQ-2026-000001"}}.items():
        assert problems(pack, language, renderer.prompt(language, name, **kwargs)) == [], name


def test_the_check_catches_a_setting_worded_as_the_policy(tmp_path: Path) -> None:
    shutil.copytree(RESPONSES_DIR, tmp_path / "responses")
    common = tmp_path / "responses" / "en" / "_common.j2"
    text = common.read_text(encoding="utf-8")
    setting = "We confirm this for every request of this kind, to protect your personal information."
    assert setting in text
    common.write_text(text.replace(setting, "Our privacy policy requires us to confirm it."), encoding="utf-8")
    pack = load_pack("qualitysoft")  # its identity check is our setting
    broken = [problem for what, reply in every_reply("qualitysoft", Language.EN, ReplyRenderer(tmp_path / "responses"))
              if "verify_identity" in what for problem in problems(pack, Language.EN, reply)]
    assert broken and all("worded as the policy's" in p for p in broken)
