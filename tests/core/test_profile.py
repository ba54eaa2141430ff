from __future__ import annotations

from pathlib import Path

import pytest

from finres.core.profile import ProfileError, load_profile, profile_from_data
from finres.core.vocab import Use

from ..conftest import REPO


def problems(data) -> list[tuple[str, str]]:
    with pytest.raises(ProfileError) as caught:
        profile_from_data(data)
    return caught.value.problems


def test_example_profiles_load() -> None:
    firm = load_profile(REPO / "examples" / "profiles" / "securities-firm.yaml")
    assert firm.paid_in_capital == 15_000_000_000
    assert Use.GENERATIVE_AI in firm.uses
    assert load_profile(REPO / "examples" / "profiles" / "small-broker.json").internet_order


def test_unknown_keys_and_values_are_named() -> None:
    found = problems(
        {
            "name": "X",
            "industry": "brokerage",
            "paid_in_capital": 1,
            "uses": ["cloud", "blockchain"],
            "colour": "red",
        }
    )
    assert [field for field, _ in found] == ["industry", "uses.1", "colour"]
    assert ("colour", "unknown field") in found
    assert any("'brokerage' is not allowed" in message for _, message in found)
    assert any("'blockchain' is not allowed" in message for _, message in found)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "X", "industry": "bank", "paid_in_capital": "100億"}, "paid_in_capital"),
        ({"name": "X", "industry": "bank", "paid_in_capital": 1.5}, "paid_in_capital"),
        ({"name": "X", "industry": "bank", "paid_in_capital": -1}, "paid_in_capital"),
        ({"name": "X", "industry": "bank", "paid_in_capital": True}, "paid_in_capital"),
        (
            {"name": "X", "industry": "bank", "paid_in_capital": 1, "internet_order": "yes"},
            "internet_order",
        ),
        ({"name": "X", "industry": "bank", "paid_in_capital": 1, "uses": ["ai", "ai"]}, "uses"),
        ({"name": "X", "industry": "bank", "paid_in_capital": 1, "uses": "ai"}, "uses"),
        ({"industry": "bank", "paid_in_capital": 1}, "name"),
    ],
)
def test_bad_values_are_refused(data, field: str) -> None:
    assert field in [f.split(".")[0] for f, _ in problems(data)]


def test_bad_files(tmp_path: Path) -> None:
    broken = tmp_path / "p.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid JSON"):
        load_profile(broken)
    with pytest.raises(ProfileError, match="no such file"):
        load_profile(tmp_path / "missing.yaml")
    dup = tmp_path / "p.yaml"
    dup.write_text("name: a\nname: b\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="duplicate key 'name'"):
        load_profile(dup)
    with pytest.raises(ProfileError, match="expected a mapping"):
        profile_from_data(["x"])
