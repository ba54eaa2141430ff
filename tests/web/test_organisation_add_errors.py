"""``finres organisation add`` with a profile the database cannot hold: a clear error naming
the problem (exit 1), not "unexpected"; nothing is created."""

from __future__ import annotations

from pathlib import Path

import pytest

from finres.cli import main
from finres.web.orgs.models import Organisation

pytestmark = pytest.mark.django_db

PROFILE = """\
name: Capital Test Securities
industry: securities
paid_in_capital: {capital}
internet_order: true
uses: [cloud]
"""


@pytest.mark.parametrize("capital", [2**63, 10**30])
def test_a_capital_beyond_the_database_is_a_clear_error(
    capital: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE.format(capital=capital), encoding="utf-8")
    with pytest.raises(SystemExit) as failed:
        main(["organisation", "add", "--profile", str(profile), "--lang", "en"])
    assert failed.value.code == 1
    err = capsys.readouterr().err
    assert "unexpected" not in err
    assert "paid-in capital" in err.lower() and "9223372036854775807" in err.replace(",", "")
    assert not Organisation.objects.filter(name="Capital Test Securities").exists()


def test_the_largest_capital_the_database_holds_is_accepted(tmp_path: Path) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE.format(capital=2**63 - 1), encoding="utf-8")
    main(["organisation", "add", "--profile", str(profile), "--lang", "en"])
    assert Organisation.objects.get(name="Capital Test Securities").paid_in_capital == 2**63 - 1
