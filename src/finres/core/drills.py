"""When business-continuity drills are due: the CC-20000 rule as data
(``content/continuity/drill-frequency.yaml``), and "due" / "overdue" for a system or service
from the date it was last drilled. Plain data in, plain data out.

The TWSE slides require periodic drills of tier 1–3 securities firms' core systems (CC-20000)
but state no interval: the file's interval is the institution's planning interval, flagged
``interval_from_source: false`` so the pages never present it as the regulator's.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finres.core.incidents import Text
from finres.core.library.loader import LibraryError, read_yaml

FREQUENCY_FILE = (
    Path(__file__).resolve().parent.parent / "content" / "continuity" / "drill-frequency.yaml"
)
DUE_SOON_DAYS = 60


class FrequencyRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    requirement: str
    industry: str
    tiers: list[int] = Field(min_length=1)
    scope: str  # core_systems
    effective: dt.date
    interval_months: int = Field(gt=0, le=60)
    interval_from_source: bool
    quote: str = Field(min_length=3)
    note: Text


class Frequency(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int
    source: str = Field(min_length=3)
    rules: list[FrequencyRule]
    services_interval_months: int = Field(gt=0, le=60)

    def rule_for(self, industry: str, tier: int | None, on: dt.date) -> FrequencyRule | None:
        for rule in self.rules:
            if rule.industry == industry and tier in rule.tiers and on >= rule.effective:
                return rule
        return None


class FrequencyError(ValueError):
    pass


def load_frequency(path: Path | None = None) -> Frequency:
    path = path or FREQUENCY_FILE
    try:
        return Frequency.model_validate(read_yaml(path))
    except LibraryError as error:
        raise FrequencyError(f"{path}: {error}") from None
    except ValidationError as error:
        raise FrequencyError(f"{path}: {error}") from None


class DueState(StrEnum):
    NEVER = "never"  # never drilled: due now
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    CURRENT = "current"


@dataclass(frozen=True)
class Due:
    last: dt.date | None
    due: dt.date | None
    state: DueState


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def due_state(last: dt.date | None, interval_months: int, today: dt.date) -> Due:
    """A drill is due ``interval_months`` after the last one; never drilled is due now."""
    if last is None:
        return Due(None, None, DueState.NEVER)
    due = add_months(last, interval_months)
    if due < today:
        return Due(last, due, DueState.OVERDUE)
    if (due - today).days <= DUE_SOON_DAYS:
        return Due(last, due, DueState.DUE_SOON)
    return Due(last, due, DueState.CURRENT)
