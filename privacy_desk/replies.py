"""Templated replies: responses/<language>/<channel>/<purpose>.j2, rendered from allow-listed context.

Templates never see ORM objects or the pack itself: `reply_context` builds plain dicts with exactly what a
reply may quote (the reference, the kind's words, the pack's texts), so a template cannot leak other data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from jinja2.exceptions import TemplateError as JinjaTemplateError

from privacy_desk.errors import TemplateError
from privacy_desk.languages import Language
from privacy_desk.policy import Detail, PolicyPack, RefusalGround, RequestKind, Text, Topic, section_text

RESPONSES_DIR = Path(__file__).resolve().parent.parent / "responses"


class Purpose(StrEnum):
    ASK_DETAILS = "ask_details"
    VERIFY_IDENTITY = "verify_identity"
    ACKNOWLEDGEMENT = "acknowledgement"
    ANSWER = "answer"
    RESOLVED = "resolved"
    REJECTED = "rejected"


class ReplyChannel(StrEnum):
    EMAIL = "email"
    CHAT = "chat"


@dataclass(frozen=True)
class RenderedReply:
    subject: str | None  # email only
    body: str


_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"]


def long_date(value: date, language: str) -> str:
    """A date as a customer reads it: '1 December 2026' or '2026年12月1日'."""
    if language == Language.JA:
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"


def _environment(directory: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        # Plain-text mail and chat are not escaped; any .html template is.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["long_date"] = long_date
    env.filters["sentence"] = lambda text: text if str(text).rstrip().endswith((".", "。", "!", "?")) else f"{text}."
    return env


class ReplyRenderer:
    def __init__(self, directory: Path = RESPONSES_DIR) -> None:
        self.directory = directory
        self.env = _environment(directory)

    @staticmethod
    def template_name(purpose: Purpose, channel: ReplyChannel, language: Language) -> str:
        return f"{language.value}/{channel.value}/{purpose.value}.j2"

    def prompt(self, language: Language, name: str, **kwargs: Any) -> str:
        """One short chat line of the dialogue (a macro in responses/<language>/chat/prompts.j2)."""
        path = f"{language.value}/chat/prompts.j2"
        try:
            module = self.env.get_template(path).make_module({"language": language.value})
        except TemplateNotFound:
            raise TemplateError(f"no chat prompts {path} in {self.directory}") from None
        macro = getattr(module, name, None)
        if macro is None:
            raise TemplateError(f"{path}: no prompt {name!r}")
        try:
            return _tidy(str(macro(**kwargs))).strip()
        except JinjaTemplateError as exc:
            raise TemplateError(f"{path}: {name}: {exc}") from None

    def render(self, purpose: Purpose, channel: ReplyChannel, language: Language,
               context: dict[str, Any]) -> RenderedReply:
        name = self.template_name(purpose, channel, language)
        try:
            template = self.env.get_template(name)
        except TemplateNotFound:
            raise TemplateError(f"no reply template {name} in {self.directory}") from None
        try:
            ctx = template.new_context({**context, "language": language.value})
            # Run the template's top level once so its imports ({% import ... as common %}) exist for the blocks.
            for _ in template.root_render_func(ctx):
                pass
            subject = None
            if "subject" in template.blocks:
                subject = " ".join("".join(template.blocks["subject"](ctx)).split())
            body = "".join(template.blocks["body"](ctx)) if "body" in template.blocks else template.render(ctx)
        except JinjaTemplateError as exc:
            raise TemplateError(f"{name}: {exc}") from None
        if channel is ReplyChannel.EMAIL and not subject:
            raise TemplateError(f"{name}: an email template needs a non-empty subject block")
        return RenderedReply(subject=subject, body=_tidy(body))


def _tidy(body: str) -> str:
    lines = [line.rstrip() for line in body.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue  # collapse runs of blank lines left by optional sections
        out.append(line)
    return "\n".join(out) + "\n"


def _text(value: Text | None, language: Language) -> str | None:
    return None if value is None else value.get(language)


def company_context(pack: PolicyPack, language: Language) -> dict[str, Any]:
    c = pack.company
    return {
        "name": c.name.get(language), "responsible": c.responsible.get(language),
        "address": c.address.get(language), "email": c.email, "phone": c.phone,
        "office_hours": _text(c.office_hours, language), "website": c.website,
    }


def request_context(pack: PolicyPack, kind: RequestKind, language: Language) -> dict[str, Any]:
    rule = pack.rule(kind)
    return {
        "kind": kind.value, "description": rule.description.get(language),
        "section": section_text(rule.section, language),
        "identity_check": rule.identity_check, "response_days": rule.response_days,
        "fee_notice": rule.fee_notice.get(language), "caveats": [c.get(language) for c in rule.caveats],
    }


def reply_context(
    pack: PolicyPack,
    language: Language,
    *,
    kind: RequestKind | None = None,
    reference: str | None = None,
    due: date | None = None,
    identity_confirmed: bool = False,
    customer_name: str | None = None,
    missing: list[Detail] | None = None,
    topic: Topic | None = None,
    code: str | None = None,
    code_minutes: int | None = None,
    code_via: str = "email",
    ground: RefusalGround | None = None,
    staff_message: str | None = None,
    subject: str | None = None,
) -> dict[str, Any]:
    """The only data a reply template sees. Unused values stay None; StrictUndefined catches typos."""
    answer = pack.answers[topic] if topic is not None else None
    return {
        "company": company_context(pack, language),
        "request": request_context(pack, kind, language) if kind is not None else None,
        "ticket": {"reference": reference, "due_date": due, "identity_confirmed": identity_confirmed}
        if reference else None,
        "customer": {"name": customer_name},
        "missing": [d.value for d in (missing or [])],
        "answer": {"topic": topic.value, "text": answer.text.get(language),
                   "section": section_text(answer.section, language)}
        if answer and topic else None,
        "verification": {"code": code, "minutes": code_minutes, "via": code_via} if code or code_minutes else None,
        "refusal": {"text": ground.text.get(language), "section": section_text(ground.section, language)}
        if ground else None,
        "staff_message": staff_message,
        "original_subject": subject,
    }
