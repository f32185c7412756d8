"""Templated replies: responses/<language>/<channel>/<purpose>.j2, rendered from allow-listed context.

Templates never see ORM objects or the pack itself: `reply_context` builds plain dicts with exactly what a
reply may quote (the reference, the kind's words, the pack's texts), so a template cannot leak other data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from jinja2.exceptions import TemplateError as JinjaTemplateError

from privacy_desk.attachments import AttachmentLimits, describe_limit
from privacy_desk.basis import Basis, Grounded, Statement
from privacy_desk.business_calendar import Weekday
from privacy_desk.errors import TemplateError
from privacy_desk.languages import Language
from privacy_desk.policy import Detail, PolicyPack, RefusalGround, RequestKind, Topic

RESPONSES_DIR = Path(__file__).resolve().parent.parent / "responses"


class Purpose(StrEnum):
    ASK_DETAILS = "ask_details"
    VERIFY_IDENTITY = "verify_identity"
    ACKNOWLEDGEMENT = "acknowledgement"
    ANSWER = "answer"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    ATTACHMENT_REFUSED = "attachment_refused"  # a reply on a ticket brought files we did not accept


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


def month_day(value: str, language: str) -> str:
    """A yearly date ('12-29') as a customer reads it: '29 December' or '12月29日'."""
    month, day = (int(part) for part in value.split("-"))
    if language == Language.JA:
        return f"{month}月{day}日"
    return f"{day} {_MONTHS_EN[month - 1]}"


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
    env.filters["month_day"] = month_day
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


# -- what templates may see -------------------------------------------------------------------------------
#
# Each text or rule from the pack reaches a template as a dict with its basis ("policy", "silent", "setting")
# and, for the policy's own rules, how to cite them. Templates word a setting as the company's and cite only
# the policy's rules. `open`/`close` are empty in replies; the attribution test sets them to markers so it can
# see which part of a rendered reply came from which kind of text.

Marker = Callable[[Basis], tuple[str, str]]


def no_marks(basis: Basis) -> tuple[str, str]:
    return "", ""


@dataclass(frozen=True)
class _Facts:
    pack: PolicyPack
    language: Language
    mark: Marker

    def fact(self, item: Grounded, basis: Basis | None = None, **values: Any) -> dict[str, Any]:
        basis = basis or item.basis
        opening, closing = self.mark(basis)
        cite = self.pack.cite(item, self.language) if basis is Basis.POLICY else None
        return {"basis": basis.value, "cite": cite, "open": opening, "close": closing, **values}

    def said(self, statement: Statement) -> dict[str, Any]:
        return self.fact(statement, text=statement.get(self.language))


def company_context(pack: PolicyPack, language: Language, mark: Marker = no_marks) -> dict[str, Any]:
    c, facts = pack.company, _Facts(pack, language, mark)
    return {
        "name": c.name.get(language), "responsible": c.responsible.get(language),
        "address": c.address.get(language) if c.address else None, "email": c.email,
        "phone": c.phone.get(language) if c.phone else None,
        "office_hours": facts.said(c.office_hours) if c.office_hours else None, "website": c.website,
    }


def calendar_context(pack: PolicyPack, language: Language, mark: Marker = no_marks) -> dict[str, Any]:
    cal = pack.calendar
    week = list(Weekday)
    days = sorted(set(cal.working_days), key=week.index)
    # "Monday to Friday" when the days run on; otherwise templates list them.
    contiguous = len(days) > 2 and [d.value for d in days] == [d.value for d in week][
        week.index(days[0]):week.index(days[0]) + len(days)]
    return _Facts(pack, language, mark).fact(
        cal, working_days=[d.value for d in days], contiguous=contiguous, public_holidays=cal.public_holidays,
        closures=[{"name": c.name.get(language), "first": c.first, "last": c.last} for c in cal.closures])


def request_context(pack: PolicyPack, kind: RequestKind, language: Language, mark: Marker = no_marks,
                    channel: str = "email") -> dict[str, Any]:
    rule, facts = pack.rule(kind), _Facts(pack, language, mark)
    details = rule.required_details
    details_basis = details.basis_on(channel)
    return {
        "kind": kind.value, "description": rule.description.get(language),
        "identity": facts.fact(rule.identity_check, required=rule.needs_identity),
        "details": facts.fact(details, details_basis, names=[d.value for d in details.details],
                              text=details.text.get(language) if details.text and details_basis is Basis.POLICY
                              else None),
        "target": facts.fact(rule.target, business_days=rule.target.business_days),
        "fee": [facts.said(s) for s in rule.fee],
        "caveats": [facts.said(s) for s in rule.caveats],
        "after_completion": [facts.said(s) for s in rule.after_completion],
    }


def refusal_context(pack: PolicyPack, ground: RefusalGround, language: Language,
                    mark: Marker = no_marks) -> dict[str, Any]:
    facts = _Facts(pack, language, mark)
    return facts.fact(ground, id=ground.id, reason=facts.said(ground.reason),
                      quote=ground.quote.get(language) if ground.quote else None)


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
    channel: ReplyChannel = ReplyChannel.EMAIL,
    mark: Marker = no_marks,
    refused_files: tuple[str, ...] = (),
    attachment_limits: AttachmentLimits | None = None,
) -> dict[str, Any]:
    """The only data a reply template sees. Unused values stay None; StrictUndefined catches typos."""
    facts = _Facts(pack, language, mark)
    return {
        "policy_name": pack.policy_name.get(language),
        "company": company_context(pack, language, mark),
        "calendar": calendar_context(pack, language, mark),
        "request": request_context(pack, kind, language, mark, channel.value) if kind is not None else None,
        "ticket": {"reference": reference, "due_date": due, "identity_confirmed": identity_confirmed}
        if reference else None,
        "customer": {"name": customer_name},
        "missing": [d.value for d in (missing or [])],
        "answer": {"topic": topic.value, "statements": [facts.said(s) for s in pack.answers[topic]]}
        if topic is not None else None,
        "about_policy": [facts.said(s) for s in pack.about_policy],
        "verification": {"code": code, "minutes": code_minutes, "via": code_via} if code or code_minutes else None,
        "refusal": refusal_context(pack, ground, language, mark) if ground else None,
        "staff_message": staff_message,
        "original_subject": subject,
        "attachments_refused": refused_files_context(refused_files, attachment_limits or AttachmentLimits())
        if refused_files else None,
    }


def refused_files_context(files: tuple[str, ...], limits: AttachmentLimits) -> dict[str, Any]:
    """Files of the customer's mail we did not accept: our limits (the company's settings) and where else to
    send them (the company's upload address, when it gave one; otherwise the contact details of the reply)."""
    return {"files": list(files), "max_file": describe_limit(limits.max_bytes),
            "max_mail": describe_limit(limits.mail_max_bytes), "other_way": limits.other_way or None}
