"""The library format as pydantic models: the schema every framework and mapping file obeys.

``docs/library-format.md`` describes the same format for authors; keep the two in step.
Checks that need the whole file (parents, unique ids, tiers against the tier rule) live in the
model validators here; checks that need the whole library (mappings, supersession, overlapping
tier rules) live in ``loader``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from finres.core import rules
from finres.core.vocab import (
    ExecutingUnit,
    FrameworkKind,
    Industry,
    Lineage,
    Obligation,
    Relationship,
    Scope,
)

FORMAT_VERSION: Literal[1] = 1

Language = Literal["zh-TW", "en"]
LANGUAGES: tuple[Language, ...] = ("zh-TW", "en")

# Ids must be valid OSCAL tokens (letter first) so that every node exports as is.
FrameworkId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$", max_length=80)]
NodeId = Annotated[
    str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]*(?:[._-][A-Za-z0-9]+)*$", max_length=80)
]
Tag = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=40)]


def _parse_condition(value: Any) -> rules.Condition:
    try:
        return rules.parse(value, path="")
    except rules.RuleError as error:
        message = "; ".join(f"{p.lstrip('.')}: {m}" if p else m for p, m in error.problems)
        raise PydanticCustomError(
            "condition", "invalid condition: {detail}", {"detail": message}
        ) from None


ConditionField = Annotated[
    Any,
    AfterValidator(_parse_condition),
    PlainSerializer(lambda condition: condition.to_data(), return_type=Any),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LocalizedText(_Strict):
    """A text in zh-TW and English; which one is the original is said by the framework."""

    zh_tw: str | None = Field(default=None, alias="zh-TW", min_length=1)
    en: str | None = Field(default=None, min_length=1)

    def get(self, language: Language) -> str | None:
        return self.zh_tw if language == "zh-TW" else self.en

    def best(self, language: Language) -> str:
        """The text in ``language``, falling back to the other language."""
        return self.get(language) or self.zh_tw or self.en or ""

    def missing(self) -> list[Language]:
        return [language for language in LANGUAGES if not self.get(language)]


class SourceDocument(_Strict):
    title: LocalizedText
    reference: str | None = None  # e.g. a document number or seed file name
    url: str | None = None


class MaturityLevel(_Strict):
    level: int = Field(ge=0, le=10)
    id: NodeId
    title: LocalizedText
    description: LocalizedText | None = None


class TierBand(_Strict):
    """One tier: capital from ``min_capital`` (inclusive) up to ``below_capital`` (exclusive)."""

    tier: int = Field(ge=1, le=10)
    min_capital: int | None = Field(default=None, ge=0)
    below_capital: int | None = Field(default=None, gt=0)
    source_text: str | None = None  # the source's own wording, e.g. "200億以上"
    notes: LocalizedText | None = None


class TierRule(_Strict):
    """How an institution's tier follows from its paid-in capital."""

    industries: list[Industry] = Field(min_length=1)
    basis: Literal["paid_in_capital"] = "paid_in_capital"
    bands: list[TierBand] = Field(min_length=1)
    notes: LocalizedText | None = None

    @model_validator(mode="after")
    def _bands_cover_every_amount_once(self) -> TierRule:
        tiers = [band.tier for band in self.bands]
        if len(set(tiers)) != len(tiers):
            raise PydanticCustomError("tier_rule", "each tier may appear in one band only")
        ordered = sorted(self.bands, key=lambda band: band.min_capital or 0)
        if ordered[0].min_capital not in (None, 0):
            raise PydanticCustomError("tier_rule", "the lowest band must start at 0")
        for lower, upper in itertools.pairwise(ordered):
            if lower.below_capital != upper.min_capital:
                raise PydanticCustomError(
                    "tier_rule",
                    "bands must meet exactly: tier {a} ends below {end} but tier {b} starts at "
                    "{start}",
                    {
                        "a": lower.tier,
                        "end": lower.below_capital,
                        "b": upper.tier,
                        "start": upper.min_capital,
                    },
                )
        if ordered[-1].below_capital is not None:
            raise PydanticCustomError("tier_rule", "the highest band must be open-ended")
        return self

    def tier_for(self, capital: int) -> int:
        for band in self.bands:
            low = band.min_capital or 0
            if capital >= low and (band.below_capital is None or capital < band.below_capital):
                return band.tier
        raise AssertionError("validated bands cover every amount")  # pragma: no cover


class RequirementNode(_Strict):
    """A node of a framework's tree: a grouping (axis, chapter …) or an assessable requirement."""

    id: NodeId
    parent: NodeId | None = None
    kind: Tag | None = None  # e.g. axis, work-item, measure, article, item, control
    ref: str | None = Field(default=None, min_length=1)
    title: LocalizedText
    text: LocalizedText | None = None
    assessable: bool = False
    # A voluntary framework that restates a binding rule marks it (and its subtree) binding: it
    # is then listed by default, like the binding frameworks' requirements.
    binding: bool | None = None
    obligation: Obligation | None = None
    scope: Scope | None = None
    applies_when: ConditionField | None = None
    tiers: list[int] | None = Field(default=None, min_length=1)
    executing_units: list[ExecutingUnit] | None = Field(default=None, min_length=1)
    effective_from: dt.date | None = None
    due_by: dt.date | None = None
    timeframe: LocalizedText | None = None  # the source's own timing words (持續, 一年, 110年生效)
    lineage: Lineage | None = None
    guidance: LocalizedText | None = None  # implementation notes the source gives (實作)
    examples: list[LocalizedText] = Field(default_factory=list)
    typical_evidence: list[LocalizedText] = Field(default_factory=list)
    maturity: dict[int, LocalizedText] = Field(default_factory=dict)  # level -> description
    tags: list[Tag] = Field(default_factory=list)
    notes: LocalizedText | None = None  # ambiguities and editorial notes

    @model_validator(mode="after")
    def _dates_in_order(self) -> RequirementNode:
        if self.effective_from and self.due_by and self.due_by < self.effective_from:
            raise PydanticCustomError(
                "dates",
                "due_by ({due}) is before effective_from ({start})",
                {"due": self.due_by.isoformat(), "start": self.effective_from.isoformat()},
            )
        return self


class Framework(_Strict):
    format_version: Literal[1] = FORMAT_VERSION
    id: FrameworkId
    name: LocalizedText
    short_name: LocalizedText | None = None
    version: str = Field(min_length=1)
    kind: FrameworkKind
    binding: bool  # imposes obligations on institutions (vs. a voluntary reference)
    publisher: LocalizedText
    published: dt.date
    source: SourceDocument
    source_language: Language
    copyright: LocalizedText
    description: LocalizedText | None = None
    applies_when: ConditionField | None = None
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    superseded_by: FrameworkId | None = None
    tier_rule: TierRule | None = None
    maturity_levels: list[MaturityLevel] = Field(default_factory=list)
    notes: LocalizedText | None = None
    requirements: list[RequirementNode] = Field(min_length=1)


class Mapping(_Strict):
    source: NodeId
    target: NodeId
    relationship: Relationship
    rationale: LocalizedText
    strength: int | None = Field(default=None, ge=1, le=10)  # OLIR strength, optional


class MappingSet(_Strict):
    format_version: Literal[1] = FORMAT_VERSION
    id: FrameworkId
    source_framework: FrameworkId
    target_framework: FrameworkId
    version: str = Field(min_length=1)
    description: LocalizedText | None = None
    mappings: list[Mapping] = Field(min_length=1)
