"""The institution profile: what FinRes needs to know to decide which rules apply."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from finres.core.i18n import DEFAULT_LANGUAGE, N_, Language, gettext_for
from finres.core.vocab import Fact, Industry, Use

MAX_PROFILE_BYTES = 1024 * 1024


class Problem(NamedTuple):
    """One defect of a profile: the field, and the message as a gettext msgid with its values."""

    field: str
    message: str
    values: Mapping[str, Any] = {}

    def text(self, language: Language = "en") -> str:
        return gettext_for(language).gettext(self.message).format(**self.values)


class ProfileError(ValueError):
    """A profile that cannot be used; ``problems`` lists (field, message) for every defect, in
    English, and ``message(language)`` says it all on one line in the user's language."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.details = problems
        self.problems = [(p.field, p.text("en")) for p in problems]
        super().__init__(self.message("en"))

    def message(self, language: Language = DEFAULT_LANGUAGE) -> str:
        translate = gettext_for(language).gettext
        parts = [
            translate("{field}: {problem}").format(field=p.field, problem=p.text(language))
            if p.field
            else p.text(language)
            for p in self.details
        ]
        return translate("{source}: {problems}").format(
            source=self.source, problems=translate("; ").join(parts)
        )


# The wording of each kind of defect pydantic reports (its own messages are not shown: they
# are English only and name pydantic's types, e.g. "Input should be a valid integer").
_MESSAGES: dict[str, str] = {
    "extra_forbidden": N_("unknown field"),
    "missing": N_("missing"),
    "int_type": N_("expected a whole number"),
    "int_parsing": N_("expected a whole number"),
    "int_from_float": N_("expected a whole number"),
    "greater_than_equal": N_("must be at least {ge}"),
    "bool_type": N_("expected true or false"),
    "bool_parsing": N_("expected true or false"),
    "string_type": N_("expected text"),
    "string_too_short": N_("must not be empty"),
    "string_too_long": N_("must be at most {max_length} characters"),
    "enum": N_("{input!r} is not allowed (one of: {allowed})"),
    "repeated": N_("listed more than once: {values}"),
    "not_a_list": N_("expected a list"),
    "frozen_set_type": N_("expected a list"),
    "dict_type": N_("expected a mapping of names to true or false"),
}
_ALLOWED = {"industry": Industry, "uses": Use, "facts": Fact}


def _problem(item: Any) -> Problem:
    field = ".".join(str(part) for part in item["loc"] if part != "[key]")
    kind = item["type"]
    values: dict[str, Any] = {key: value for key, value in (item.get("ctx") or {}).items()}
    if kind == "enum":
        vocabulary = _ALLOWED.get(str(item["loc"][0]) if item["loc"] else "")
        allowed = [v.value for v in vocabulary] if vocabulary else []
        values = {"input": item["input"], "allowed": ", ".join(allowed)}
    message = _MESSAGES.get(kind, N_("not a valid value"))
    return Problem(field, message, values)


class InstitutionProfile(BaseModel):
    """An institution as the applicability engine sees it (the same in the CLI and the web app)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    industry: Industry
    paid_in_capital: StrictInt = Field(
        ge=0, description="NT$; allocated operating capital for a foreign branch"
    )
    internet_order: StrictBool = False
    uses: frozenset[Use] = frozenset()
    # Three-valued: a fact that is not listed is unknown, never false (``None`` also says so).
    facts: dict[Fact, StrictBool] = Field(default_factory=dict)
    total_assets: StrictInt | None = Field(
        default=None, ge=0, description="NT$; unknown when not given"
    )

    @field_validator("uses", mode="before")
    @classmethod
    def _uses_is_a_list_without_repeats(cls, value: Any) -> Any:
        if isinstance(value, list):
            repeated = sorted({str(v) for v in value if value.count(v) > 1})
            if repeated:
                raise PydanticCustomError(
                    "repeated", "listed more than once: {values}", {"values": ", ".join(repeated)}
                )
        elif not isinstance(value, (set, frozenset)):
            raise PydanticCustomError("not_a_list", "expected a list")
        return value

    @field_validator("facts", mode="before")
    @classmethod
    def _unstated_facts_are_unknown(cls, value: Any) -> Any:
        # ``{fact: null}`` says "unknown" as plainly as leaving the fact out, and so does an
        # empty ``facts:`` (YAML reads it as null).
        if value is None:
            return {}
        if isinstance(value, dict):
            return {key: stated for key, stated in value.items() if stated is not None}
        return value

    def fact(self, fact: Fact) -> bool | None:
        """True, False, or None when the profile does not say."""
        return self.facts.get(fact)

    def unknown_facts(self) -> list[str]:
        """The facts the profile leaves unknown (``total_assets`` included)."""
        unknown = [fact.value for fact in Fact if fact not in self.facts]
        return unknown + (["total_assets"] if self.total_assets is None else [])

    def condition_values(self, tier: int | None) -> dict[str, Any]:
        """The values conditions are evaluated against (see ``finres.core.rules.FIELDS``);
        an unknown fact is ``None``."""
        return {
            "industry": self.industry,
            "paid_in_capital": self.paid_in_capital,
            "internet_order": self.internet_order,
            "uses": self.uses,
            "tier": tier,
            "total_assets": self.total_assets,
            **{f"facts.{fact.value}": self.facts.get(fact) for fact in Fact},
        }


def profile_from_data(data: Any, source: str = "profile") -> InstitutionProfile:
    if not isinstance(data, dict):
        raise ProfileError(source, [Problem("", N_("expected a mapping of profile fields"))])
    try:
        return InstitutionProfile.model_validate(data)
    except ValidationError as error:
        raise ProfileError(source, [_problem(item) for item in error.errors()]) from None


def load_profile(path: Path) -> InstitutionProfile:
    """Read a profile from a YAML or JSON file."""
    from finres.core.library.loader import LibraryError, read_yaml

    source = str(path)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ProfileError(source, [Problem("", N_("no such file"))]) from None
        except UnicodeDecodeError:
            raise ProfileError(source, [Problem("", N_("not UTF-8 text"))]) from None
        except json.JSONDecodeError as error:
            problem = Problem(
                "",
                N_("not valid JSON (line {line}, column {column})"),
                {"line": error.lineno, "column": error.colno},
            )
            raise ProfileError(source, [problem]) from None
    else:
        try:
            data = read_yaml(path)  # safe, size-limited, refuses duplicate keys
        except LibraryError as error:
            raise ProfileError(source, [Problem("", p.message) for p in error.problems]) from None
    return profile_from_data(data, source)
