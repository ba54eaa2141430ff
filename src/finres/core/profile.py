"""The institution profile: what FinRes needs to know to decide which rules apply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
)

from finres.core.vocab import Fact, Industry, Use

MAX_PROFILE_BYTES = 1024 * 1024


class ProfileError(ValueError):
    """A profile that cannot be used; ``problems`` lists (field, message) for every defect."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        detail = "; ".join(
            f"{field}: {message}" if field else message for field, message in problems
        )
        super().__init__(f"{source}: {detail}")


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
                raise ValueError(f"listed more than once: {', '.join(repeated)}")
        elif not isinstance(value, (set, frozenset)):
            raise ValueError("expects a list")
        return value

    @field_validator("facts", mode="before")
    @classmethod
    def _unstated_facts_are_unknown(cls, value: Any) -> Any:
        # ``{fact: null}`` says "unknown" as plainly as leaving the fact out.
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
        raise ProfileError(source, [("", "expected a mapping of profile fields")])
    try:
        return InstitutionProfile.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"] if part != "[key]")
            message = item["msg"]
            if item["type"] == "extra_forbidden":
                message = "unknown field"
            elif item["type"] == "enum":
                message = (
                    f"{item['input']!r} is not allowed ({message.removeprefix('Input should be ')})"
                )
            problems.append((field, message))
        raise ProfileError(source, problems) from None


def load_profile(path: Path) -> InstitutionProfile:
    """Read a profile from a YAML or JSON file."""
    from finres.core.library.loader import LibraryError, read_yaml

    source = str(path)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ProfileError(source, [("", "no such file")]) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ProfileError(source, [("", f"not valid JSON: {error}")]) from None
    else:
        try:
            data = read_yaml(path)  # safe, size-limited, refuses duplicate keys
        except LibraryError as error:
            raise ProfileError(source, [("", p.message) for p in error.problems]) from None
    return profile_from_data(data, source)
