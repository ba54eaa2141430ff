"""``FINRES_SCHEDULE``, read by the settings: "name=seconds,…" replaces the interval of a
schedule (0 turns it off), e.g. ``checks.due=1800,sbom.rematch=0``."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


def parse_schedule(text: str) -> dict[str, float]:
    """The intervals ``text`` names; a malformed entry stops the site with what is wrong."""
    intervals: dict[str, float] = {}
    for entry in filter(None, text.replace(" ", "").split(",")):
        name, _sep, seconds = entry.partition("=")
        try:
            value = float(seconds)
        except ValueError:
            value = -1.0
        if not name or not value >= 0 or value == float("inf"):
            raise ImproperlyConfigured(
                f"FINRES_SCHEDULE: {entry!r} is not name=seconds (e.g. checks.due=3600)"
            )
        intervals[name] = value
    return intervals
