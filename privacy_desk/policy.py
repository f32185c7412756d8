"""Policy packs: a company's privacy-policy handling rules as validated data (policies/<id>.yml)."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from privacy_desk.errors import PolicyError
from privacy_desk.languages import Language

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text the customer may read, in each language the pack speaks. English is required."""

    en: NonEmpty
    ja: NonEmpty | None = None

    def get(self, language: Language) -> str:
        value = getattr(self, language.value)
        if value is None:
            raise PolicyError(f"no {language.value} text for: {self.en[:60]!r}")
        return value


# A policy section: its number or heading as the policy writes it, or per language when the heading is words.
Section = NonEmpty | Text


def section_text(section: Section, language: Language) -> str:
    return section if isinstance(section, str) else section.get(language)


class Company(_Strict):
    name: Text
    responsible: Text
    address: Text
    email: NonEmpty | None = None
    phone: NonEmpty | None = None
    office_hours: Text | None = None
    website: NonEmpty | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Company:
        if self.email is None and self.phone is None:
            raise ValueError("a company needs at least an email or a phone to be contacted")
        return self


class RefusalGround(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    section: Section
    text: Text


class RequestRule(_Strict):
    section: Section
    description: Text
    required_details: list[Detail] = Field(min_length=1)
    identity_check: bool
    response_days: int = Field(gt=0, le=90)
    fee_notice: Text
    caveats: list[Text] = []
    refusal_grounds: list[RefusalGround] = []

    @model_validator(mode="after")
    def _contactable(self) -> RequestRule:
        if Detail.EMAIL not in self.required_details and Detail.PHONE not in self.required_details:
            raise ValueError("required_details must include email or phone, or the customer cannot be answered")
        if len(set(self.required_details)) != len(self.required_details):
            raise ValueError("required_details lists a detail twice")
        return self


class Answer(_Strict):
    section: Section
    text: Text


class PolicyPack(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
    source: NonEmpty
    policy_date: NonEmpty
    company: Company
    retention_days: int = Field(gt=0, le=3650)
    requests: dict[RequestKind, RequestRule]
    answers: dict[Topic, Answer]

    @model_validator(mode="after")
    def _complete(self) -> PolicyPack:
        missing = [t.value for t in Topic if t not in self.answers]
        if missing:
            raise ValueError(f"answers missing for: {', '.join(missing)}")
        for kind in (RequestKind.COMPLAINT, RequestKind.INQUIRY):
            if kind not in self.requests:
                raise ValueError(f"requests must include {kind.value}: it is how a customer always reaches staff")
        return self

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


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    return f"{key}: {error['msg']}"


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
