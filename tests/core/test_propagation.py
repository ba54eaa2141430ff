from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from finres.core.library import load_library
from finres.core.propagation import (
    RANK,
    MappingEdge,
    Outcome,
    Ref,
    compose,
    invert,
    links,
    propose,
    proposed_outcome,
)
from finres.core.vocab import Relationship

C, P, N = Outcome.COMPLIANT, Outcome.PARTIAL, Outcome.NON_COMPLIANT
EQ, SUB, SUP, INT = (
    Relationship.EQUAL,
    Relationship.SUBSET,
    Relationship.SUPERSET,
    Relationship.INTERSECT,
)

twse = Ref("twse", "antivirus")
twse2 = Ref("twse", "firewall")
csf = Ref("csf", "DE.CM-09")
iso = Ref("iso", "A.8.7")
iso2 = Ref("iso", "A.8.20")


def test_equal_and_superset_carry_the_result_subset_and_intersect_cap_it() -> None:
    for relationship, expected in [(EQ, C), (SUP, C), (SUB, P), (INT, P)]:
        edges = [MappingEdge(twse, csf, relationship)]
        assert propose({twse: C}, edges)[csf].result is expected, relationship
        # A non-compliant result stays non-compliant whatever the relationship.
        assert propose({twse: N}, edges)[csf].result is N
        assert propose({twse: P}, edges)[csf].result is P


def test_the_relationship_inverts_when_the_result_is_on_the_target() -> None:
    # "twse subset csf": csf covers the whole of twse, so a result on csf carries to twse ...
    edges = [MappingEdge(twse, csf, SUB)]
    back = propose({csf: C}, edges)[twse]
    assert back.result is C
    assert back.contributions[0].relationship is SUP
    # ... while "twse superset csf" read from csf is "csf subset twse": capped.
    assert propose({csf: C}, [MappingEdge(twse, csf, SUP)])[twse].result is P


def test_not_applicable_and_not_assessed_never_propagate() -> None:
    edges = [MappingEdge(twse, csf, EQ)]
    assert propose({twse: Outcome.NOT_APPLICABLE}, edges) == {}
    assert propose({twse: Outcome.NOT_ASSESSED}, edges) == {}


def test_the_most_restrictive_wins_and_every_contributor_is_listed() -> None:
    edges = [MappingEdge(twse, csf, SUB), MappingEdge(twse2, csf, EQ), MappingEdge(iso, csf, EQ)]
    proposal = propose({twse: C, twse2: N, iso: C}, edges)[csf]
    assert proposal.result is N
    assert [c.source for c in proposal.contributions] == [iso, twse, twse2]
    assert [c.proposed for c in proposal.contributions] == [C, P, N]


def test_one_hop_through_a_shared_framework() -> None:
    # twse -> csf <- iso: the iso control is reached from twse through csf.
    edges = [MappingEdge(twse, csf, EQ), MappingEdge(iso, csf, EQ), MappingEdge(iso2, csf, SUB)]
    proposals = propose({twse: C}, edges)
    assert proposals[iso].result is C
    assert proposals[iso].contributions[0].via == csf
    assert proposals[iso].contributions[0].relationship is EQ
    # twse equal csf, csf superset iso2: twse covers iso2 (superset), so the result carries.
    assert proposals[iso2].result is C
    assert proposals[iso2].contributions[0].relationship is SUP
    # Without hops only the direct mapping counts.
    assert set(propose({twse: C}, edges, hops=False)) == {csf}


def test_a_hop_with_subset_or_intersect_caps_at_partial() -> None:
    edges = [MappingEdge(twse, csf, SUB), MappingEdge(iso, csf, SUB)]
    # twse subset csf, csf superset iso: nothing known between twse and iso -> intersect.
    proposal = propose({twse: C}, edges)[iso]
    assert proposal.contributions[0].relationship is INT
    assert proposal.result is P


def test_never_within_one_framework_and_never_through_the_holders_or_receivers_framework() -> None:
    other_twse = Ref("twse", "other")
    edges = [MappingEdge(twse, csf, EQ), MappingEdge(other_twse, csf, EQ)]
    assert set(propose({twse: C}, edges)) == {csf}
    # An intermediate in the receiver's framework is not a hop between frameworks.
    csf_other = Ref("csf", "PR.AA-01")
    assert csf_other not in propose({twse: C}, [*edges, MappingEdge(csf, csf_other, EQ)])


def test_a_direct_mapping_is_preferred_to_a_hop() -> None:
    edges = [MappingEdge(twse, iso, SUB), MappingEdge(twse, csf, EQ), MappingEdge(iso, csf, EQ)]
    contribution = propose({twse: C}, edges)[iso].contributions[0]
    assert contribution.via is None and contribution.relationship is SUB


def test_receivers_restrict_the_answer() -> None:
    edges = [MappingEdge(twse, csf, EQ), MappingEdge(iso, csf, EQ)]
    assert set(propose({twse: C}, edges, receivers={iso})) == {iso}


def test_invert_and_compose() -> None:
    for relationship in Relationship:
        assert invert(invert(relationship)) is relationship
        assert compose(EQ, relationship) is relationship
        assert compose(relationship, EQ) is relationship
    assert compose(SUP, SUP) is SUP
    assert compose(SUB, SUB) is SUB
    assert compose(SUP, SUB) is INT
    assert compose(SUB, SUP) is INT
    assert compose(INT, SUP) is INT


def test_on_the_shipped_library_iso_is_reached_from_twse_through_csf() -> None:
    library = load_library()
    edges = [
        MappingEdge(
            Ref(ms.source_framework, m.source),
            Ref(ms.target_framework, m.target),
            Relationship(m.relationship.value),
        )
        for ms in library.mapping_sets
        for m in ms.mappings
    ]
    twse_results = {
        Ref("twse-securities-tiered-protection", n.id): C
        for n in library.assessable("twse-securities-tiered-protection")
    }
    proposals = propose(twse_results, edges)
    frameworks = {target.framework for target in proposals}
    assert {"nist-csf-2.0", "iso27001-2022-annex-a"} <= frameworks
    # One hop through an intermediate framework: CSF, or the management-system integration
    # guideline whose ISO 27001 backbone relates to both TWSE CC-12000 and Annex A.
    hops = [p for t, p in proposals.items() if t.framework == "iso27001-2022-annex-a"]
    vias = {c.via.framework for p in hops for c in p.contributions if c.via is not None}
    assert all(c.via is not None for p in hops for c in p.contributions)
    assert "nist-csf-2.0" in vias and vias <= {"nist-csf-2.0", "iso-ms-integration"}


# --- properties ---------------------------------------------------------------------------------

frameworks = st.sampled_from(["a", "b", "c", "d"])
refs = st.builds(Ref, frameworks, st.sampled_from(["1", "2", "3"]))
relationships = st.sampled_from(list(Relationship))
edges_strategy = st.lists(st.builds(MappingEdge, refs, refs, relationships), max_size=25)
outcomes = st.sampled_from(list(Outcome))
results_strategy = st.dictionaries(refs, outcomes, max_size=8)


@settings(max_examples=300)
@given(results_strategy, edges_strategy)
def test_a_proposal_is_never_better_than_any_contributor_allows(results, edges) -> None:
    for proposal in propose(results, edges).values():
        assert proposal.contributions
        for contribution in proposal.contributions:
            assert results[contribution.source] is contribution.result
            assert contribution.result in RANK  # N/A and not assessed never contribute
            assert RANK[proposal.result] <= RANK[contribution.proposed]
            assert RANK[contribution.proposed] <= RANK[contribution.result]
            assert contribution.proposed is proposed_outcome(
                contribution.result, contribution.relationship
            )
            assert contribution.source.framework != proposal.target.framework
        # The most restrictive contribution is the proposal.
        assert proposal.result in {c.proposed for c in proposal.contributions}


@settings(max_examples=300)
@given(results_strategy, edges_strategy)
def test_subset_and_intersect_never_propose_compliant(results, edges) -> None:
    for proposal in propose(results, edges).values():
        for contribution in proposal.contributions:
            if contribution.relationship in (SUB, INT):
                assert contribution.proposed is not C


@settings(max_examples=300)
@given(results_strategy, edges_strategy, refs)
def test_adding_a_non_compliant_source_never_improves_a_proposal(results, edges, extra) -> None:
    before = propose(results, edges)
    after = propose({**results, extra: N}, edges)
    for target, proposal in before.items():
        if target == extra:
            continue
        assert target in after
        assert RANK[after[target].result] <= RANK[proposal.result]


@settings(max_examples=200)
@given(results_strategy, edges_strategy, st.randoms(use_true_random=False))
def test_the_answer_does_not_depend_on_the_input_order(results, edges, rnd: random.Random) -> None:
    shuffled_edges = list(edges)
    rnd.shuffle(shuffled_edges)
    items = list(results.items())
    rnd.shuffle(items)
    assert propose(dict(items), shuffled_edges) == propose(results, edges)


@settings(max_examples=200)
@given(results_strategy, edges_strategy)
def test_direct_links_are_a_subset_of_links_with_hops(results, edges) -> None:
    direct = links(edges, list(results), hops=False)
    with_hops = links(edges, list(results))
    assert set(direct) <= set(with_hops)
    for pair, link in direct.items():
        assert with_hops[pair] == link  # a hop never replaces a direct mapping
