"""Incident reporting regimes as data, and the deadlines and countdowns they give an incident.

A regime (``content/incidents/regimes/*.yaml``, or one an institution enters for its own
regulator) names its regulator, its source and its reporting stages. Each stage is due within
one or more time limits, each counted from an anchor: the moment the incident was detected
(became known), the moment it was classified (e.g. as major), the moment regular activities
were recovered, or the submission of an earlier stage. When a stage has several limits the
earliest deadline applies ("within 4 hours of classification, and at the latest 24 hours after
awareness"). A limit whose anchor has not happened yet gives no deadline: the stage waits.

Nothing here knows a regulator by name, and no deadline exists without its source: a regime and
each of its stages must say where the time limit is written. Plain data in, plain data out.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from finres.core.library.loader import LibraryError, read_yaml

REGIMES_DIR = Path(__file__).resolve().parent.parent / "content" / "incidents" / "regimes"
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,39}$"


class Anchor(StrEnum):
    DETECTED = "detected"  # the institution became aware of the incident
    CLASSIFIED = "classified"  # classified (as major, or as reportable)
    RECOVERED = "recovered"  # regular activities recovered
    STAGE = "stage"  # the (latest) submission of another stage, named by ``stage``


class Unit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    MONTHS = "months"


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.zh


class Limit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    amount: int = Field(gt=0, le=24 * 366)
    unit: Unit
    after: Anchor
    stage: str | None = None  # with ``after: stage``

    def describe(self, language: str, stage_names: Mapping[str, str]) -> str:
        unit = {
            "hours": ("小時", "hours"),
            "days": ("日", "days"),
            "months": ("個月", "months"),
        }[self.unit.value]
        anchor = {
            "detected": ("知悉事件", "awareness of the incident"),
            "classified": ("事件分類", "classification"),
            "recovered": ("恢復正常營運", "recovery of regular activities"),
            "stage": ("提交", "submission of"),
        }[self.after.value]
        if language == "en":
            tail = anchor[1]
            if self.after is Anchor.STAGE:
                tail = f"{tail} {stage_names.get(self.stage or '', self.stage)}"
            return f"{self.amount} {unit[1]} after {tail}"
        head = anchor[0]
        if self.after is Anchor.STAGE:
            head = f"{head}{stage_names.get(self.stage or '', self.stage)}"
        return f"{head}後 {self.amount} {unit[0]}內"


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    within: list[Limit] = Field(min_length=1, max_length=4)
    source: str = Field(min_length=3, max_length=500)
    notes: str = ""


class Regime(BaseModel):
    """A regulator's reporting regime: the stages to report and their time limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    regulator: str = Field(min_length=1, max_length=200)
    jurisdiction: str = Field(default="", max_length=100)
    applies_to: str = Field(default="", max_length=1000)
    source: str = Field(min_length=3, max_length=1000)
    example_only: bool = False  # shipped as a documented example, not as the user's obligation
    notes: str = ""
    stages: list[Stage] = Field(min_length=1, max_length=8)

    @field_validator("stages")
    @classmethod
    def _stage_references(cls, stages: list[Stage]) -> list[Stage]:
        seen: set[str] = set()
        for stage in stages:
            if stage.id in seen:
                raise ValueError(f"stage {stage.id!r} appears twice")
            for limit in stage.within:
                if limit.after is Anchor.STAGE:
                    if not limit.stage:
                        raise ValueError(f"stage {stage.id!r}: 'after: stage' needs 'stage'")
                    if limit.stage not in seen:
                        raise ValueError(
                            f"stage {stage.id!r}: counts from {limit.stage!r}, "
                            "which is not an earlier stage"
                        )
                elif limit.stage is not None:
                    raise ValueError(f"stage {stage.id!r}: 'stage' only goes with 'after: stage'")
            seen.add(stage.id)
        return stages

    def stage_names(self, language: str) -> dict[str, str]:
        return {stage.id: stage.name.get(language) for stage in self.stages}


class RegimeError(ValueError):
    """A regime file or entry is invalid; ``problems`` lists every problem with its place."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def regime_from_data(data: Any, source: str = "regime") -> Regime:
    if not isinstance(data, dict):
        raise RegimeError(source, ["a regime is a mapping"])
    try:
        return Regime.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(p) for p in item["loc"]) or "(top)"
            problems.append(f"{where}: {item['msg']}")
        raise RegimeError(source, problems) from None


def load_regime(path: Path) -> Regime:
    try:
        data = read_yaml(path)
    except LibraryError as error:
        raise RegimeError(str(path), [p.message for p in error.problems]) from None
    return regime_from_data(data, str(path))


def shipped_regimes(directory: Path | None = None) -> dict[str, Regime]:
    """Every regime shipped with FinRes, by id (all validated; one bad file refuses all)."""
    found: dict[str, Regime] = {}
    for path in sorted((directory or REGIMES_DIR).glob("*.yaml")):
        regime = load_regime(path)
        if regime.id in found:
            raise RegimeError(str(path), [f"regime id {regime.id!r} is used twice"])
        found[regime.id] = regime
    return found


# --- deadlines ----------------------------------------------------------------------------------


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Calendar months; a day the month lacks becomes its last (31 Jan + 1 month: 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def after(moment: dt.datetime, limit: Limit) -> dt.datetime:
    if limit.unit is Unit.HOURS:
        return moment + dt.timedelta(hours=limit.amount)
    if limit.unit is Unit.DAYS:
        return moment + dt.timedelta(days=limit.amount)
    return add_months(moment, limit.amount)


class Status(StrEnum):
    WAITING = "waiting"  # an anchor has not happened: no deadline yet
    OPEN = "open"  # due in the future, not submitted
    OVERDUE = "overdue"  # due in the past, not submitted
    ON_TIME = "on_time"  # submitted by the deadline
    LATE = "late"  # submitted after the deadline


@dataclass(frozen=True)
class Facts:
    """What happened to the incident, as far as the deadlines care."""

    detected: dt.datetime
    classified: dt.datetime | None = None
    recovered: dt.datetime | None = None
    submitted: Mapping[str, dt.datetime] | None = None  # stage id -> latest submission


@dataclass(frozen=True)
class StageDeadline:
    stage: Stage
    due: dt.datetime | None
    submitted: dt.datetime | None
    status: Status
    remaining: dt.timedelta | None  # due - now, negative when overdue; None without a due time
    waiting_for: tuple[str, ...] = ()  # the anchors that have not happened


def _anchor(limit: Limit, facts: Facts) -> tuple[dt.datetime | None, str]:
    if limit.after is Anchor.DETECTED:
        return facts.detected, "detected"
    if limit.after is Anchor.CLASSIFIED:
        return facts.classified, "classified"
    if limit.after is Anchor.RECOVERED:
        return facts.recovered, "recovered"
    submitted = facts.submitted or {}
    return submitted.get(limit.stage or ""), f"stage:{limit.stage}"


def deadlines(regime: Regime, facts: Facts, now: dt.datetime) -> list[StageDeadline]:
    """Every stage's deadline, status and countdown at ``now``.

    A stage is due at the earliest of its limits whose anchor has happened. If none has, it
    waits. When some anchors are still missing but another gives a time, that time stands
    (a later anchor can only make the deadline earlier, never later)."""
    submitted_at = facts.submitted or {}
    rows = []
    for stage in regime.stages:
        candidates = []
        missing = []
        for limit in stage.within:
            moment, name = _anchor(limit, facts)
            if moment is None:
                missing.append(name)
            else:
                candidates.append(after(moment, limit))
        due = min(candidates) if candidates else None
        submitted = submitted_at.get(stage.id)
        if submitted is not None:
            status = Status.ON_TIME if due is None or submitted <= due else Status.LATE
        elif due is None:
            status = Status.WAITING
        else:
            status = Status.OVERDUE if now > due else Status.OPEN
        remaining = (due - now) if due is not None and submitted is None else None
        rows.append(StageDeadline(stage, due, submitted, status, remaining, tuple(missing)))
    return rows


def overdue(rows: list[StageDeadline]) -> bool:
    return any(row.status is Status.OVERDUE for row in rows)


def next_due(rows: list[StageDeadline]) -> StageDeadline | None:
    """The open stage due first (the countdown a list shows)."""
    open_rows = [r for r in rows if r.status in (Status.OPEN, Status.OVERDUE) and r.due]
    return min(open_rows, key=lambda r: r.due or dt.datetime.max) if open_rows else None


def countdown_text(remaining: dt.timedelta | None, language: str) -> str:
    """``3 h 20 min left`` / ``overdue by 1 d 2 h`` (whole minutes)."""
    if remaining is None:
        return ""
    minutes = int(abs(remaining.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if language == "en":
        parts = [f"{days} d"] if days else []
        parts += [f"{hours} h"] if hours or days else []
        parts.append(f"{mins} min")
        text = " ".join(parts)
        return f"overdue by {text}" if remaining.total_seconds() < 0 else f"{text} left"
    parts = [f"{days} 天"] if days else []
    parts += [f"{hours} 小時"] if hours or days else []
    parts.append(f"{mins} 分")
    text = " ".join(parts)
    return f"已逾期 {text}" if remaining.total_seconds() < 0 else f"尚餘 {text}"
