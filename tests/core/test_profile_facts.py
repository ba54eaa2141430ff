"""The profile's facts: booleans where an absent key is unknown, and total assets."""

from __future__ import annotations

import pytest

from finres.core.profile import ProfileError, profile_from_data
from finres.core.vocab import Fact

BASE = {"name": "X", "industry": "bank", "paid_in_capital": 1}


def test_absent_facts_are_unknown_not_false() -> None:
    profile = profile_from_data(BASE)
    assert profile.facts == {}
    assert profile.total_assets is None
    assert profile.fact(Fact.SOC) is None
    assert profile.unknown_facts() == [fact.value for fact in Fact] + ["total_assets"]
    values = profile.condition_values(None)
    assert values["facts.soc"] is None and values["total_assets"] is None


def test_stated_facts_are_kept_true_and_false() -> None:
    profile = profile_from_data(
        {**BASE, "facts": {"soc": True, "hybrid_cloud": False}, "total_assets": 10**12}
    )
    assert profile.fact(Fact.SOC) is True
    assert profile.fact(Fact.HYBRID_CLOUD) is False
    assert profile.total_assets == 10**12
    values = profile.condition_values(None)
    assert values["facts.soc"] is True and values["facts.hybrid_cloud"] is False
    assert "soc" not in profile.unknown_facts() and "hybrid_cloud" not in profile.unknown_facts()


def test_null_says_unknown() -> None:
    profile = profile_from_data({**BASE, "facts": {"soc": None, "hybrid_cloud": True}})
    assert profile.facts == {Fact.HYBRID_CLOUD: True}
    assert profile_from_data({**BASE, "facts": None, "total_assets": None}).facts == {}


@pytest.mark.parametrize(
    ("extra", "field", "fragment"),
    [
        ({"facts": {"socc": True}}, "facts.socc", "'socc' is not allowed"),
        ({"facts": {"soc": "yes"}}, "facts.soc", "true or false"),
        ({"facts": {"soc": 1}}, "facts.soc", "true or false"),
        ({"facts": ["soc"]}, "facts", "mapping"),
        ({"total_assets": -1}, "total_assets", "at least 0"),
        ({"total_assets": 1.5}, "total_assets", "whole number"),
        ({"total_assets": True}, "total_assets", "whole number"),
    ],
)
def test_bad_facts_are_named(extra: dict[str, object], field: str, fragment: str) -> None:
    with pytest.raises(ProfileError) as caught:
        profile_from_data({**BASE, **extra})
    assert any(f == field and fragment in m for f, m in caught.value.problems), (
        caught.value.problems
    )
