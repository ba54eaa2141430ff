"""Dates as people type them: YYYY-MM-DD, checked against the calendar.

``datetime.date.fromisoformat`` refuses ``2026-13-45`` with the same words as ``2026/1/5``;
``parse_date`` says which part is wrong (the form, the month or the day), as a gettext msgid
with its values so that each face (CLI, web) words it in the user's language.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from finres.core.i18n import DEFAULT_LANGUAGE, N_, Language, gettext_for

_FORM = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class DateError(ValueError):
    """A typed date that is not one; ``message`` is a msgid, ``values`` fill it in."""

    def __init__(self, message: str, values: dict[str, Any]) -> None:
        self.message = message
        self.values = values
        super().__init__(self.text("en"))

    def text(self, language: Language = DEFAULT_LANGUAGE) -> str:
        return gettext_for(language).gettext(self.message).format(**self.values)


def parse_date(value: str) -> dt.date:
    """``value`` (YYYY-MM-DD) as a date, or ``DateError`` naming what is wrong."""
    text = value.strip()
    found = _FORM.fullmatch(text)
    if found is None:
        raise DateError(N_("{value!r} is not a date in the form YYYY-MM-DD"), {"value": value})
    year, month, day = (int(part) for part in found.groups())
    if year < 1:
        raise DateError(N_("{value} is not a valid date: there is no year 0"), {"value": text})
    if not 1 <= month <= 12:
        raise DateError(
            N_("{value} is not a valid date: there is no month {month}"),
            {"value": text, "month": month},
        )
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise DateError(
            N_("{value} is not a valid date: {year}-{month:02d} has {last} days"),
            {"value": text, "year": year, "month": month, "last": last},
        )
    return dt.date(year, month, day)
