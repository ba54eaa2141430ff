"""Remediation deadlines of findings raised by machines (failed checks, vulnerability matches):
severity → days, known-exploited vulnerabilities sooner (``content/remediation/sla.yaml``).

The sources ask for timely remediation but state no days, so the file's figures are the
institution's targets, flagged ``from_source: false`` for the pages to say so.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finres.core.incidents import Text
from finres.core.library.loader import LibraryError, read_yaml

SLA_FILE = Path(__file__).resolve().parent.parent / "content" / "remediation" / "sla.yaml"
SEVERITIES = ("critical", "high", "medium", "low")


class RemediationError(ValueError):
    pass


class Days(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    critical: int = Field(gt=0, le=3650)
    high: int = Field(gt=0, le=3650)
    medium: int = Field(gt=0, le=3650)
    low: int = Field(gt=0, le=3650)


class Sla(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int
    from_source: bool
    note: Text
    days: Days
    known_exploited_days: int = Field(gt=0, le=3650)

    def days_for(self, severity: str, known_exploited: bool = False) -> int:
        if severity not in SEVERITIES:
            raise RemediationError(f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}")
        days: int = getattr(self.days, severity)
        return min(days, self.known_exploited_days) if known_exploited else days

    def due_date(self, severity: str, found_on: dt.date, known_exploited: bool = False) -> dt.date:
        """The date by which a finding of this severity, found on ``found_on``, is remediated."""
        return found_on + dt.timedelta(days=self.days_for(severity, known_exploited))


def load_sla(path: Path | None = None) -> Sla:
    path = path or SLA_FILE
    try:
        return Sla.model_validate(read_yaml(path))
    except (LibraryError, ValidationError) as error:
        raise RemediationError(f"{path}: {error}") from None


@cache
def default_sla() -> Sla:
    return load_sla()


def due_date(severity: str, found_on: dt.date, known_exploited: bool = False) -> dt.date:
    return default_sla().due_date(severity, found_on, known_exploited)
