"""The shipped library as a whole: it loads, it is mapped as required, and the engine behaves."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finres.core.applicability import applicable, tier_of
from finres.core.library import Library, load_library
from finres.core.profile import InstitutionProfile
from finres.core.vocab import ExecutingUnit, Industry, Use

FRAMEWORKS = {
    "fsc-resilience-blueprint-2025",
    "fsc-action-plan-2020",
    "twse-securities-tiered-protection",
    "sfa-emerging-tech-guideline",
    "iso27001-2022-annex-a",
    "nist-csf-2.0",
    "fsc-zero-trust-maturity",
    "iso-ms-integration",
}
CSF = "nist-csf-2.0"


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library()


def test_all_frameworks_are_present(library: Library) -> None:
    assert set(library.frameworks) >= FRAMEWORKS


def _csf_targets(library: Library, framework_id: str, node_id: str) -> set[str]:
    return {
        link.mapping.target
        for link in library.mappings_from(framework_id, node_id)
        if link.mapping_set.target_framework == CSF
        and library.node(CSF, link.mapping.target).assessable
    }


def _institution_facing(library: Library, framework_id: str, node) -> bool:
    for candidate in [node, *library.ancestors(framework_id, node)]:
        if candidate.executing_units:
            return ExecutingUnit.FINANCIAL_INSTITUTIONS in candidate.executing_units
    return True


@pytest.mark.parametrize(
    "framework_id",
    [
        "twse-securities-tiered-protection",
        "sfa-emerging-tech-guideline",
        "fsc-resilience-blueprint-2025",
    ],
)
def test_assessable_requirements_map_to_csf_subcategories(
    library: Library, framework_id: str
) -> None:
    unmapped = [
        node.id
        for node in library.assessable(framework_id)
        if _institution_facing(library, framework_id, node)
        and not _csf_targets(library, framework_id, node.id)
    ]
    assert unmapped == NO_CSF_OUTCOME.get(framework_id, [])
    # each one is named, with the reason, in the mapping set's description
    if unmapped:
        description = next(
            s.description.en
            for s in library.mapping_sets
            if s.source_framework == framework_id and s.target_framework == CSF
        )
        for node_id in unmapped:
            assert library.node(framework_id, node_id).ref in description


# Provisions with no NIST CSF 2.0 outcome: mapping them would only mislead (issue 8).
NO_CSF_OUTCOME = {
    "sfa-emerging-tech-guideline": [
        "art-13-2",
        "art-13-3",
        "art-14-2",
        "art-48-2",
        "art-48-4",
        "art-51-1",
        "art-53-4",
        "art-54-2",
    ],
}


def test_iso_controls_are_mapped_where_clear(library: Library) -> None:
    mapped = [
        node.id
        for node in library.assessable("iso27001-2022-annex-a")
        if _csf_targets(library, "iso27001-2022-annex-a", node.id)
    ]
    # Not every control has a clear CSF counterpart, but most do.
    assert len(mapped) >= 60


# --- the tier rule ------------------------------------------------------------------------------

capitals = st.integers(min_value=0, max_value=10**13)


@given(capitals, capitals)
def test_more_capital_never_means_a_lower_tier_number_increase(a: int, b: int) -> None:
    library = load_library()
    low, high = sorted((a, b))
    tier_low = tier_of(library, Industry.SECURITIES, low).tier
    tier_high = tier_of(library, Industry.SECURITIES, high).tier
    assert tier_low is not None and tier_high is not None
    assert tier_high <= tier_low  # tier 1 is the largest firms


@given(st.sampled_from([i for i in Industry if i != Industry.SECURITIES]), capitals)
def test_only_securities_firms_have_a_tier(industry: Industry, capital: int) -> None:
    assert tier_of(load_library(), industry, capital).tier is None


# --- applicability properties -------------------------------------------------------------------

profiles = st.builds(
    lambda industry, capital, internet, uses: InstitutionProfile(
        name="p",
        industry=industry,
        paid_in_capital=capital,
        internet_order=internet,
        uses=frozenset(uses),
    ),
    st.sampled_from(list(Industry)),
    capitals,
    st.booleans(),
    st.frozensets(st.sampled_from(list(Use))),
)
dates = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2032, 12, 31))


@settings(max_examples=60, deadline=None)
@given(profiles, dates)
def test_applicability_invariants(profile: InstitutionProfile, as_of: dt.date) -> None:
    library = load_library()
    result = applicable(library, profile, as_of)
    for item in result.requirements:
        framework = item.framework
        # Binding frameworks, and the binding rules a voluntary one restates (node flag).
        chain = [item.node, *library.ancestors(framework.id, item.node)]
        flag = next((n.binding for n in chain if n.binding is not None), framework.binding)
        assert flag
        assert framework.effective_until is None or as_of <= framework.effective_until
        assert item.node.assessable
        assert item.in_force == (item.effective_from is None or item.effective_from <= as_of)
        if framework.id == "twse-securities-tiered-protection":
            assert profile.industry == Industry.SECURITIES
            tiers = item.node.tiers or next(
                (a.tiers for a in library.ancestors(framework.id, item.node) if a.tiers), None
            )
            assert tiers is None or result.tier.tier in tiers
        if framework.id == "sfa-emerging-tech-guideline":
            assert profile.industry in {
                Industry.SECURITIES,
                Industry.FUTURES,
                Industry.INVESTMENT_TRUST,
            }
        if framework.id == "fsc-resilience-blueprint-2025":
            assert _institution_facing(library, framework.id, item.node)


@settings(max_examples=40, deadline=None)
@given(profiles, dates, st.integers(min_value=1, max_value=2000))
def test_once_in_force_stays_in_force(
    profile: InstitutionProfile, day: dt.date, later: int
) -> None:
    library = load_library()
    then = {
        (i.framework.id, i.node.id): i.in_force
        for i in applicable(library, profile, day).requirements
    }
    after = applicable(library, profile, day + dt.timedelta(days=later))
    for item in after.requirements:
        if then.get((item.framework.id, item.node.id)):
            assert item.in_force
