"""Policy packs: a company's privacy-policy handling rules as validated data (policies/<id>.yml).

Every text a customer may read carries where it comes from, and replies word it accordingly:
- `policy: "8"` (or a list): it quotes or faithfully paraphrases that section of the policy, and is cited;
- `silent: true`: it says what the policy does not say ("Our privacy policy names no fee ..."), never cited;
- `setting: true`: the company's own choice (a target time, an identity check the policy does not describe),
  worded as the company's and never as the policy's.
A text with none of these, or with a section the pack does not list, is refused when the pack is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from privacy_desk.basis import Basis, Grounded, NonEmpty, Statement, Strict, Text
from privacy_desk.business_calendar import BusinessCalendar
from privacy_desk.errors import PolicyError
from privacy_desk.languages import Language

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
ChannelName = Literal["email", "chat"]


class RequestKind(StrEnum):
    DISCLOSURE = "disclosure"
    CORRECTION = "correction"
    DELETION = "deletion"
    DISCONTINUANCE = "discontinuance"
    THIRD_PARTY_OPTOUT = "third_party_optout"
    MARKETING_OPTOUT = "marketing_optout"
    COMPLAINT = "complaint"
    # An inquiry the assistant could not classify, passed to staff at the customer's request.
    INQUIRY = "inquiry"


class Detail(StrEnum):
    """Contact details a pack may require; the names are also the NLU entity names."""

    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    COMPANY = "company"
    DIVISION = "division"
    MEMBER_NUMBER = "member_number"
    ADDRESS = "address"


class Topic(StrEnum):
    """Common questions a pack answers; each maps to one `ask_*` intent."""

    PURPOSE = "purpose"
    THIRD_PARTY = "third_party"
    SECURITY = "security"
    SENSITIVE_INFO = "sensitive_info"
    HOW_TO_REQUEST = "how_to_request"
    FEE = "fee"


class Company(Strict):
    name: Text
    responsible: Text
    address: Text | None = None  # a postal address; None where the policy gives none
    email: NonEmpty | None = None
    # Per language: international form in English text, domestic form (03-...) in Japanese.
    phone: Text | None = None
    office_hours: Statement | None = None
    website: NonEmpty | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Company:
        if self.email is None and self.phone is None:
            raise ValueError("a company needs at least an email or a phone to be contacted")
        return self


class Retention(Grounded):
    days: int = Field(gt=0, le=3650)


class Target(Grounded):
    """How soon the company answers a request, in business days."""

    business_days: int = Field(gt=0, le=60)


class IdentityCheck(Grounded):
    required: bool


class DetailsRequired(Grounded):
    """The contact details a request needs before staff act on it."""

    details: list[Detail] = Field(min_length=1)
    # With a policy basis: the policy's own words about them, and the channels they speak of (on the other
    # channels the same list is the company's setting).
    text: Statement | None = None
    channels: list[ChannelName] | None = None

    @model_validator(mode="after")
    def _sound(self) -> DetailsRequired:
        if Detail.EMAIL not in self.details and Detail.PHONE not in self.details:
            raise ValueError("details must include email or phone, or the customer cannot be answered")
        if len(set(self.details)) != len(self.details):
            raise ValueError("details lists a detail twice")
        if (self.basis is Basis.POLICY) != (self.text is not None):
            raise ValueError("give `text` (the policy's words) exactly when the basis is the policy")
        if self.channels is not None and self.basis is not Basis.POLICY:
            raise ValueError("channels only narrows a policy basis")
        return self

    def basis_on(self, channel: str) -> Basis:
        if self.basis is Basis.POLICY and self.channels is not None and channel not in self.channels:
            return Basis.SETTING
        return self.basis


class RefusalGround(Grounded):
    """Why a request may be refused: our one-sentence reason, and the policy's words where it has them."""

    id: Identifier
    reason: Statement
    quote: Text | None = None

    @model_validator(mode="after")
    def _quoted_when_from_policy(self) -> RefusalGround:
        if self.basis is Basis.SILENT:
            raise ValueError("a refusal ground comes from the policy or is the company's setting")
        if (self.basis is Basis.POLICY) != (self.quote is not None):
            raise ValueError("a ground from the policy quotes it (`quote`); a company setting quotes nothing")
        if self.reason.basis is not Basis.SETTING:
            raise ValueError("reason: the reason is our own words (setting: true); the policy's go in `quote`")
        return self


class RequestRule(Grounded):
    description: Text
    required_details: DetailsRequired
    identity_check: IdentityCheck
    target: Target
    fee: list[Statement] = Field(min_length=1)
    caveats: list[Statement] = []  # told when the request is acknowledged
    after_completion: list[Statement] = []  # told when it has been carried out
    refusal_grounds: list[RefusalGround] = []

    @property
    def details(self) -> list[Detail]:
        return self.required_details.details

    @property
    def needs_identity(self) -> bool:
        return self.identity_check.required


class Unconfirmed(Strict):
    """A text that is our rendering, not the policy's words (e.g. a Japanese trade name)."""

    field: NonEmpty
    note: NonEmpty


_POLICY_WORDS = {Language.EN: re.compile(r"\bpolic(y|ies)\b|\bsection \d", re.I),
                 Language.JA: re.compile(r"ポリシー|方針|第\d+項")}


class PolicyPack(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
    source: NonEmpty
    policy_date: NonEmpty
    policy_name: Text  # what replies call the policy: "privacy policy", 個人情報保護方針
    # How replies cite each section a text is based on, keyed by the id used in `policy:`.
    sections: dict[NonEmpty, Text] = Field(min_length=1)
    company: Company
    calendar: BusinessCalendar
    retention: Retention
    about_policy: list[Statement] = []  # the policy's general rules, told with every emailed answer
    requests: dict[RequestKind, RequestRule]
    answers: dict[Topic, list[Statement]]
    to_confirm: list[Unconfirmed] = []

    @model_validator(mode="after")
    def _complete(self) -> PolicyPack:
        missing = [t.value for t in Topic if t not in self.answers]
        if missing:
            raise ValueError(f"answers missing for: {', '.join(missing)}")
        empty = [t.value for t, statements in self.answers.items() if not statements]
        if empty:
            raise ValueError(f"answers with no text: {', '.join(empty)}")
        for kind in (RequestKind.COMPLAINT, RequestKind.INQUIRY):
            if kind not in self.requests:
                raise ValueError(f"requests must include {kind.value}: it is how a customer always reaches staff")
        for where, item in self.grounded():
            for section in item.policy or ():
                if section not in self.sections:
                    raise ValueError(f"{where}: policy: section {section!r} is not listed under `sections`")
        for where, statement in self.statements():
            self._check_wording(where, statement)
        return self

    def _check_wording(self, where: str, statement: Statement) -> None:
        """A setting never speaks as the policy; a statement of silence says whose silence it is."""
        for language in Language:
            text = getattr(statement, language.value)
            if text is None:
                continue
            name = getattr(self.policy_name, language.value)
            names_policy = bool(_POLICY_WORDS[language].search(text)) or (name is not None and name in text)
            if statement.basis is Basis.SETTING and names_policy:
                raise ValueError(f"{where}.{language.value}: a company setting must not be worded as the policy's "
                                 f"(it names the policy): {text[:70]!r}")
            if statement.basis is Basis.SILENT and not names_policy:
                raise ValueError(f"{where}.{language.value}: a statement of what the policy does not say must "
                                 f"name the policy: {text[:70]!r}")

    def grounded(self) -> Iterator[tuple[str, Grounded]]:
        """Every item that states a basis, with where it is in the pack."""
        yield "calendar", self.calendar
        yield "retention", self.retention
        yield from self.statements()
        for kind, rule in self.requests.items():
            base = f"requests.{kind.value}"
            yield base, rule
            for name in ("required_details", "identity_check", "target"):
                yield f"{base}.{name}", getattr(rule, name)
            for ground in rule.refusal_grounds:
                yield f"{base}.refusal_grounds.{ground.id}", ground

    def statements(self) -> Iterator[tuple[str, Statement]]:
        """Every sentence a customer may read, with where it is in the pack."""
        if self.company.office_hours is not None:
            yield "company.office_hours", self.company.office_hours
        for i, statement in enumerate(self.about_policy):
            yield f"about_policy.{i}", statement
        for kind, rule in self.requests.items():
            base = f"requests.{kind.value}"
            if rule.required_details.text is not None:
                yield f"{base}.required_details.text", rule.required_details.text
            for name in ("fee", "caveats", "after_completion"):
                for i, statement in enumerate(getattr(rule, name)):
                    yield f"{base}.{name}.{i}", statement
            for ground in rule.refusal_grounds:
                yield f"{base}.refusal_grounds.{ground.id}.reason", ground.reason
        for topic, statements in self.answers.items():
            for i, statement in enumerate(statements):
                yield f"answers.{topic.value}.{i}", statement

    @property
    def retention_days(self) -> int:
        return self.retention.days

    def rule(self, kind: RequestKind) -> RequestRule:
        try:
            return self.requests[kind]
        except KeyError:
            raise PolicyError(f"policy {self.id!r} does not accept {kind.value} requests") from None

    def refusal_ground(self, kind: RequestKind, ground_id: str) -> RefusalGround:
        for ground in self.rule(kind).refusal_grounds:
            if ground.id == ground_id:
                return ground
        raise PolicyError(f"policy {self.id!r} has no refusal ground {ground_id!r} for {kind.value}")

    def cite(self, item: Grounded, language: Language) -> str | None:
        """How a reply cites the sections an item is based on; None unless its basis is the policy."""
        if item.policy is None:
            return None
        joiner = "、" if language is Language.JA else "; "
        return joiner.join(self.sections[s].get(language) for s in item.policy)


def _describe(error: ErrorDetails) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    return f"{key}: {message}"


def parse_pack(text: str, origin: str) -> PolicyPack:
    """Validate a pack's YAML text; `origin` names it in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"{origin}:{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{origin}: a policy pack must be a mapping of keys, got {type(data).__name__}")
    try:
        return PolicyPack.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise PolicyError(f"{origin}: {problems}") from None


def load_pack_file(path: Path) -> PolicyPack:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_pack(text, str(path))


@cache
def load_pack(pack_id: str, directory: Path = POLICY_DIR) -> PolicyPack:
    """The shipped pack with this id (policies/<id>.yml)."""
    path = directory / f"{pack_id}.yml"
    if not path.is_file():
        known = sorted(p.stem for p in directory.glob("*.yml"))
        raise PolicyError(f"no policy pack {pack_id!r} in {directory} (known: {', '.join(known) or 'none'})")
    pack = load_pack_file(path)
    if pack.id != pack_id:
        raise PolicyError(f"{path}: id: is {pack.id!r} but the file is named for {pack_id!r}")
    return pack


def available_packs(directory: Path = POLICY_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yml"))
