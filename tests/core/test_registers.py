"""Supplier tiering as data, the contract-clause checklist and the facts the registers answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from finres.core import registers as r
from finres.core.registers import (
    Classification,
    DataSensitivity,
    Hosting,
    RegisterFact,
    SupplierEntry,
    SupplierIndustry,
    SupplierProfile,
    SystemAccess,
    SystemEntry,
    TieringError,
)
from finres.core.vocab import Fact, Scope

RULES = r.load_tiering()
TODAY = dt.date(2026, 6, 15)


def supplier(
    industry: str = "other", access: str = "none", data: str = "public", cloud: bool = False
) -> SupplierProfile:
    return SupplierProfile(
        SupplierIndustry(industry), SystemAccess(access), DataSensitivity(data), cloud
    )


def system(pk: int, **fields: object) -> SystemEntry:
    values: dict[str, object] = {
        "id": pk,
        "code": f"SYS-{pk}",
        "name": f"System {pk}",
        "classification": Classification.NON_CORE,
        "internet_facing": False,
        "hosting": Hosting.ON_PREMISES,
        "data_sensitivity": DataSensitivity.INTERNAL,
    }
    values.update(fields)
    return SystemEntry(**values)  # type: ignore[arg-type]


# --- the shipped rules --------------------------------------------------------------------------


def test_the_shipped_file_names_every_clause_of_measures_18_and_19() -> None:
    ids = {c.id for c in RULES.clauses}
    assert {
        "security_sla",
        "data_protection",
        "incident_notification",
        "risk_disclosure",
        "security_testing_proof",
        "sbom",
        "joint_tests_drills",
        "penalties",
        "right_to_audit",
    } <= ids
    cloud = {c.id for c in RULES.clauses if c.cloud_only}
    assert cloud == {
        "data_ownership",
        "portability",
        "audit_access",
        "exit_migration",
        "data_location",
        "data_deletion_proof",
    }
    assert all(c.source for c in RULES.clauses)


@pytest.mark.parametrize(
    ("profile", "tier", "rule"),
    [
        (supplier(access="core_systems"), "critical", "core-systems"),
        (supplier(data="customer"), "critical", "customer-data"),
        (supplier("telecom", "non_core_systems"), "critical", "critical-industries"),
        (supplier("software_vendor", "non_core_systems"), "important", "non-core-systems"),
        (supplier(data="confidential"), "important", "confidential-data"),
        (supplier("hardware_vendor", "none", "internal"), "general", None),
        (supplier("telecom", "none", "public"), "general", None),
    ],
)
def test_tiers(profile: SupplierProfile, tier: str, rule: str | None) -> None:
    decision = r.tier_for(RULES, profile)
    assert decision.tier.id == tier
    assert (decision.rule.id if decision.rule else None) == rule


def test_clauses_depend_on_tier_and_cloud() -> None:
    general = {c.id for c in r.required_clauses(RULES, "general", cloud=False)}
    assert general == {"data_protection", "incident_notification", "penalties", "right_to_audit"}
    critical_cloud = {c.id for c in r.required_clauses(RULES, "critical", cloud=True)}
    assert {"joint_tests_drills", "sbom", "exit_migration", "data_location"} <= critical_cloud
    missing = r.missing_clauses(RULES, "general", False, ["data_protection", "penalties"])
    assert [c.id for c in missing] == ["incident_notification", "right_to_audit"]


def test_gaps_of_a_critical_supplier() -> None:
    critical = RULES.tier("critical")
    everything = [c.id for c in r.required_clauses(RULES, "critical", cloud=False)]
    gaps = r.supplier_gaps(
        RULES,
        critical,
        cloud=False,
        clauses=everything,
        has_exit_plan=False,
        dr_assessed=False,
        last_review=None,
        today=TODAY,
    )
    assert gaps == [r.Gap.EXIT_PLAN, r.Gap.DR_ASSESSMENT, r.Gap.REVIEW_NEVER]
    fine = r.supplier_gaps(
        RULES,
        critical,
        cloud=False,
        clauses=everything,
        has_exit_plan=True,
        dr_assessed=True,
        last_review=TODAY - dt.timedelta(days=300),
        today=TODAY,
    )
    assert fine == []
    late = r.supplier_gaps(
        RULES,
        critical,
        cloud=True,
        clauses=everything,
        has_exit_plan=True,
        dr_assessed=True,
        last_review=dt.date(2025, 6, 14),
        today=TODAY,
    )
    assert late == [r.Gap.REVIEW_OVERDUE, r.Gap.CLAUSES]


def test_months_are_added_to_the_end_of_short_months() -> None:
    assert r.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert r.add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert r.add_months(dt.date(2026, 11, 15), 24) == dt.date(2028, 11, 15)


# --- validation ---------------------------------------------------------------------------------


def shipped() -> dict:
    return yaml.safe_load(r.TIERING_FILE.read_text(encoding="utf-8"))


def test_every_problem_is_reported() -> None:
    data = shipped()
    data["default_tier"] = "platinum"
    data["rules"][0]["tier"] = "gold"
    data["rules"][1]["when"] = {"industry": ["bakery"]}
    data["clauses"][0]["tiers"] = ["silver"]
    data["tiers"][1]["id"] = data["tiers"][0]["id"]
    with pytest.raises(TieringError) as caught:
        r.tiering_from_data(data, "x.yaml")
    text = str(caught.value)
    assert "rules.1.when.industry" in text and "bakery" in text
    data["rules"][1]["when"] = {"industry": ["telecom"]}
    with pytest.raises(TieringError) as caught:
        r.tiering_from_data(data, "x.yaml")
    problems = caught.value.problems
    assert "default_tier: unknown tier 'platinum'" in problems
    assert "rules[core-systems].tier: unknown tier 'gold'" in problems
    assert "clauses[security_sla].tiers: unknown tier 'silver'" in problems
    assert any(p.startswith("tiers: listed more than once") for p in problems)


def test_unknown_fields_and_empty_conditions_are_refused() -> None:
    data = shipped()
    data["rules"][0]["colour"] = "red"
    data["rules"][1]["when"] = {}
    with pytest.raises(TieringError) as caught:
        r.tiering_from_data(data)
    assert any("rules.0.colour: unknown field" in p for p in caught.value.problems)
    data["rules"][0].pop("colour")
    with pytest.raises(TieringError, match="no condition"):
        r.tiering_from_data(data)


def test_a_broken_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "tiers.yaml"
    path.write_text("tiers: [\n", encoding="utf-8")
    with pytest.raises(TieringError, match="YAML syntax"):
        r.load_tiering(path)
    with pytest.raises(TieringError, match="expected a mapping"):
        r.tiering_from_data(["a list"])


@given(
    industry=st.sampled_from(list(SupplierIndustry)),
    access=st.sampled_from(list(SystemAccess)),
    data=st.sampled_from(list(DataSensitivity)),
    cloud=st.booleans(),
)
def test_tiering_is_total_and_monotonic_in_sensitivity(
    industry: SupplierIndustry, access: SystemAccess, data: DataSensitivity, cloud: bool
) -> None:
    """Every supplier gets a tier; more sensitive data or core access never lowers it."""
    base = r.tier_for(RULES, SupplierProfile(industry, access, data, cloud)).tier.rank
    for more in DataSensitivity:
        if r.SENSITIVITY_ORDER[more] >= r.SENSITIVITY_ORDER[data]:
            rank = r.tier_for(RULES, SupplierProfile(industry, access, more, cloud)).tier.rank
            assert rank <= base
    core = r.tier_for(RULES, SupplierProfile(industry, SystemAccess.CORE_SYSTEMS, data, cloud))
    assert core.tier.rank <= base and core.tier.id == "critical"


# --- facts --------------------------------------------------------------------------------------


def test_register_facts_are_profile_facts() -> None:
    assert {f.value for f in RegisterFact} <= {f.value for f in Fact}
    assert set(r.scopes_of(Classification.CORE, True)) <= {s.value for s in Scope}


def test_an_empty_register_answers_nothing() -> None:
    facts = r.derive_facts([], [])
    assert set(facts) == set(RegisterFact)
    assert all(d.value is None and d.reasons == () for d in facts.values())


def test_facts_with_their_reasons() -> None:
    trading = system(
        1,
        classification=Classification.CORE,
        internet_facing=True,
        data_sensitivity=DataSensitivity.CUSTOMER,
    )
    crm = system(
        2,
        hosting=Hosting.HYBRID,
        material=True,
        natural_person_customers=True,
        data_sensitivity=DataSensitivity.CUSTOMER,
        countries=frozenset({"TW", "SG"}),
    )
    backoffice = system(3, classification=Classification.CORE)
    vendor = SupplierEntry(
        9, "SUP-9", "Offshore BPO", "PH", DataSensitivity.CONFIDENTIAL, SystemAccess.NONE
    )
    facts = r.derive_facts([trading, crm, backoffice], [vendor])
    codes = {fact: [reason.code for reason in d.reasons] for fact, d in facts.items()}
    assert facts[RegisterFact.INTERNET_FACING_CORE_SYSTEMS].value is True
    assert codes[RegisterFact.INTERNET_FACING_CORE_SYSTEMS] == ["SYS-1"]
    assert codes[RegisterFact.HYBRID_CLOUD] == ["SYS-2"]
    assert codes[RegisterFact.MATERIAL_CLOUD_OUTSOURCING] == ["SYS-2"]
    assert codes[RegisterFact.NATURAL_PERSON_MATERIAL_SYSTEM_ON_CLOUD] == ["SYS-2"]
    assert codes[RegisterFact.OFFSHORE_PROCESSING] == ["SYS-2", "SUP-9"]
    assert codes[RegisterFact.CROSS_BORDER_PERSONAL_DATA] == ["SYS-2"]
    only_backoffice = r.derive_facts([backoffice])
    assert only_backoffice[RegisterFact.INTERNET_FACING_CORE_SYSTEMS].value is False
    assert only_backoffice[RegisterFact.INTERNET_FACING_CORE_SYSTEMS].basis == 1


systems_strategy = st.lists(
    st.builds(
        SystemEntry,
        id=st.integers(1, 10_000),
        code=st.text(min_size=1, max_size=5),
        name=st.text(max_size=5),
        classification=st.sampled_from(list(Classification)),
        internet_facing=st.booleans(),
        hosting=st.sampled_from(list(Hosting)),
        data_sensitivity=st.sampled_from(list(DataSensitivity)),
        material=st.booleans(),
        natural_person_customers=st.booleans(),
        countries=st.frozensets(st.sampled_from(["TW", "SG", "JP", "US"]), min_size=1),
    ),
    max_size=12,
)


@given(systems_strategy)
def test_a_fact_is_true_exactly_when_it_has_reasons(systems: list[SystemEntry]) -> None:
    for derivation in r.derive_facts(systems).values():
        assert (derivation.value is True) == bool(derivation.reasons)
        assert (derivation.value is None) == (not systems)
        ids = {s.id for s in systems}
        assert {reason.id for reason in derivation.reasons} <= ids


@given(systems_strategy, systems_strategy)
def test_more_entries_never_turn_a_true_fact_false(
    first: list[SystemEntry], more: list[SystemEntry]
) -> None:
    before = r.derive_facts(first)
    after = r.derive_facts(first + more)
    for fact, derivation in before.items():
        if derivation.value:
            assert after[fact].value is True
