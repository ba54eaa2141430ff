"""Severity of an advisory from its CVSS vectors (the ``cvss`` library computes the scores).

The severity reported is the CVSS base score and its qualitative rating of the newest CVSS
version the advisory gives: v4.0, else v3.x, else v2 (v2 ratings follow NVD: low below 4.0,
medium below 7.0, high otherwise). An affected entry's own ``severity`` takes precedence over
the advisory's. A vector the library cannot read is ignored; no vector means no severity.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Final

from cvss import CVSS2, CVSS3, CVSS4  # type: ignore[import-untyped]
from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

_PREFERENCE: Final = ("CVSS_V4", "CVSS_V3", "CVSS_V2")


@dataclass(frozen=True, slots=True)
class Severity:
    type: str  # CVSS_V4 | CVSS_V3 | CVSS_V2
    score: float
    rating: str  # NONE | LOW | MEDIUM | HIGH | CRITICAL
    vector: str

    def data(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "score": self.score,
            "rating": self.rating,
            "vector": self.vector,
        }


def _v2_rating(score: float) -> str:
    return "LOW" if score < 4.0 else "MEDIUM" if score < 7.0 else "HIGH"


@functools.lru_cache(maxsize=65536)
def from_vector(kind: str, vector: str) -> Severity | None:
    """The base score and rating of one CVSS vector; ``None`` when it cannot be read."""
    try:
        if kind == "CVSS_V4":
            v4 = CVSS4(vector)
            score = float(v4.base_score)
            return Severity(kind, score, str(v4.severity).upper(), vector)
        if kind == "CVSS_V3":
            v3 = CVSS3(vector)
            score = float(v3.base_score)
            return Severity(kind, score, str(v3.severities()[0]).upper(), vector)
        if kind == "CVSS_V2":
            score = float(CVSS2(vector).base_score)
            return Severity(kind, score, _v2_rating(score), vector)
    except (CVSSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return None


def severity_of(*sources: tuple[tuple[str, str], ...]) -> Severity | None:
    """The severity from the first source that has a readable vector, newest CVSS version first."""
    for vectors in sources:
        for kind in _PREFERENCE:
            for item_kind, vector in vectors:
                if item_kind == kind:
                    found = from_vector(kind, vector)
                    if found is not None:
                        return found
    return None
