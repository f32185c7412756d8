"""What every customer-facing text in a policy pack carries: its words per language and where it comes from."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator, model_validator

from privacy_desk.errors import PolicyError
from privacy_desk.languages import Language

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Basis(StrEnum):
    """Where a customer-facing text comes from."""

    POLICY = "policy"
    SILENT = "silent"
    SETTING = "setting"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Worded(Strict):
    en: NonEmpty
    ja: NonEmpty | None = None

    def get(self, language: Language) -> str:
        value: str | None = getattr(self, language.value)
        if value is None:
            raise PolicyError(f"no {language.value} text for: {self.en[:60]!r}")
        return value


class Text(Worded):
    """A label or name in each language the pack speaks (no claim about the policy). English is required."""


class Grounded(Strict):
    """The basis every customer-facing item states: exactly one of policy, silent or setting."""

    policy: tuple[NonEmpty, ...] | None = None
    silent: bool = False
    setting: bool = False

    @field_validator("policy", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        # `policy: 8` in YAML is a number: a section id all the same.
        return (str(value),) if isinstance(value, str | int | float) else value

    @model_validator(mode="after")
    def _one_basis(self) -> Grounded:
        if sum([self.policy is not None, self.silent, self.setting]) != 1:
            raise ValueError("say where this comes from with exactly one of `policy: <section>` (the policy's own "
                             "rule), `silent: true` (what the policy does not say) or `setting: true` (the "
                             "company's own choice)")
        if self.policy == ():
            raise ValueError("policy: name at least one section")
        return self

    @property
    def basis(self) -> Basis:
        if self.policy is not None:
            return Basis.POLICY
        return Basis.SILENT if self.silent else Basis.SETTING


class Statement(Grounded, Worded):
    """A sentence a customer may read, with its basis."""
