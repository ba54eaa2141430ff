from __future__ import annotations

import datetime as dt

import pytest

from finres.core.applicability import applicability_data, applicable, tier_of
from finres.core.library import UnknownFrameworkError
from finres.core.profile import InstitutionProfile
from finres.core.vocab import Industry


def profile(**overrides) -> InstitutionProfile:
    data = {"name": "Test", "industry": "securities", "paid_in_capital": 500, "uses": []}
    data.update(overrides)
    return InstitutionProfile.model_validate(data)


def ids(result) -> list[str]:
    return [item.node.id for item in result.requirements]


def test_tier_comes_from_the_library_rule(demo_library) -> None:
    assert tier_of(demo_library, Industry.SECURITIES, 1000).tier == 1
    assert tier_of(demo_library, Industry.SECURITIES, 999).tier == 2
    assert tier_of(demo_library, Industry.SECURITIES, 99).tier == 3
    assert tier_of(demo_library, Industry.FUTURES, 10**9).tier is None


def test_tiers_conditions_and_executing_units(demo_library) -> None:
    result = applicable(demo_library, profile(), dt.date(2024, 1, 1))
    assert result.tier.tier == 2
    # m-regulator is for the FSC and F-ISAC only; m-shared names financial institutions and its
    # sub-item inherits that; the cloud chapter needs cloud; demo-old ended in 2020.
    assert ids(result) == ["r-all", "r-tier12", "m-shared", "m-shared.sub"]


def test_a_lower_tier_drops_tiered_requirements(demo_library) -> None:
    result = applicable(demo_library, profile(paid_in_capital=50), dt.date(2024, 1, 1))
    assert result.tier.tier == 3
    assert "r-tier12" not in ids(result)


def test_framework_condition_excludes_other_industries(demo_library) -> None:
    result = applicable(demo_library, profile(industry="bank"), dt.date(2024, 1, 1))
    assert result.requirements == []
    assert result.tier.tier is None


def test_futures_firm_gets_untiered_rules_only(demo_library) -> None:
    result = applicable(
        demo_library, profile(industry="futures", uses=["cloud"]), dt.date(2024, 1, 1)
    )
    assert ids(result) == ["r-all", "r-cloud", "m-shared", "m-shared.sub"]


def test_in_force_and_upcoming_follow_inherited_dates(demo_library) -> None:
    p = profile(uses=["cloud", "ai"])
    early = {i.node.id: i for i in applicable(demo_library, p, dt.date(2022, 6, 30)).requirements}
    assert early["r-tier12"].in_force is False
    assert early["r-tier12"].effective_from == dt.date(2023, 1, 1)
    assert early["r-cloud"].in_force is False  # inherits 2022-07-01 from its chapter
    assert early["r-cloud"].effective_from == dt.date(2022, 7, 1)
    assert early["r-cloud-ai"].effective_from == dt.date(2030, 1, 1)  # its own date wins
    assert early["r-all"].in_force is True
    later = {i.node.id: i for i in applicable(demo_library, p, dt.date(2022, 7, 1)).requirements}
    assert later["r-cloud"].in_force is True
    assert later["r-cloud-ai"].in_force is False


def test_superseded_framework_applies_until_its_end(demo_library) -> None:
    p = profile()
    assert "old-1" in ids(applicable(demo_library, p, dt.date(2020, 12, 31)))
    assert "old-1" not in ids(applicable(demo_library, p, dt.date(2021, 1, 1)))


def test_voluntary_frameworks_only_on_request(demo_library) -> None:
    p = profile()
    assert "F1.C1-01" not in ids(applicable(demo_library, p, dt.date(2024, 1, 1)))
    assert "F1.C1-01" in ids(
        applicable(demo_library, p, dt.date(2024, 1, 1), include_voluntary=True)
    )
    only = applicable(demo_library, p, dt.date(2024, 1, 1), frameworks=["demo-standard"])
    assert ids(only) == ["F1.C1-01"]


def test_unknown_framework_is_an_error(demo_library) -> None:
    with pytest.raises(UnknownFrameworkError, match="unknown framework 'nope'"):
        applicable(demo_library, profile(), dt.date(2024, 1, 1), frameworks=["nope"])


def test_json_shape(demo_library) -> None:
    result = applicable(demo_library, profile(), dt.date(2022, 1, 1))
    data = applicability_data(result, "en")
    assert data["as_of"] == "2022-01-01"
    assert data["tier"] == 2
    first, second = data["requirements"][:2]
    assert first == {
        "framework": "demo-rules",
        "id": "r-all",
        "ref": "1",
        "title": "Applies to all",
        "obligation": "shall",
        "in_force": True,
        "effective_from": None,
        "due_by": None,
        "scope": "whole_company",
        "status": "in_force",
        "depends_on": [],
    }
    assert second["in_force"] is False and second["effective_from"] == "2023-01-01"
    assert second["due_by"] == "2023-12-31"
    assert applicability_data(result, "zh-TW")["requirements"][0]["title"] == "全體適用"
