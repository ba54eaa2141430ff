import datetime as dt
from pathlib import Path

import pytest

from finres.core.remediation import RemediationError, default_sla, due_date, load_sla

FOUND = dt.date(2026, 3, 1)


def test_days_by_severity_from_the_shipped_file() -> None:
    sla = default_sla()
    assert sla.from_source is False  # the pages must not present it as the regulator's
    assert due_date("critical", FOUND) == dt.date(2026, 3, 16)
    assert due_date("high", FOUND) == dt.date(2026, 3, 31)
    assert due_date("low", FOUND) == FOUND + dt.timedelta(days=180)


def test_known_exploited_is_never_later_than_its_severity_allows() -> None:
    assert due_date("medium", FOUND, known_exploited=True) == dt.date(2026, 3, 15)
    assert due_date("critical", FOUND, known_exploited=True) == dt.date(2026, 3, 15)


def test_unknown_severity_and_malformed_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RemediationError, match="unknown severity"):
        due_date("urgent", FOUND)
    bad = tmp_path / "sla.yaml"
    bad.write_text("version: 1\nfrom_source: false\ndays: {critical: -1}\n", encoding="utf-8")
    with pytest.raises(RemediationError, match=r"sla\.yaml"):
        load_sla(bad)
