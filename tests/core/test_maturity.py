from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finres.core import maturity as m
from finres.core.library import Framework, Library, MappingSet, load_library

# --- a small library: a CSF-like framework and two frameworks mapped into it -------------------


def _framework(framework_id: str, nodes: list[tuple[str, str | None]]) -> Framework:
    return Framework.model_validate(
        {
            "id": framework_id,
            "name": {"en": framework_id, "zh-TW": framework_id},
            "version": "1",
            "kind": "standard",
            "binding": False,
            "publisher": {"en": "Test"},
            "published": dt.date(2024, 1, 1),
            "source": {"title": {"en": "Test"}},
            "source_language": "en",
            "copyright": {"en": "Test"},
            "requirements": [
                {
                    "id": node,
                    "parent": parent,
                    "title": {"en": f"{node} title", "zh-TW": f"{node} 標題"},
                    "assessable": parent is not None,
                }
                for node, parent in nodes
            ],
        }
    )


def _mappings(set_id: str, source: str, target: str, rows: list[tuple[str, str, str]]) -> Any:
    return MappingSet.model_validate(
        {
            "id": set_id,
            "source_framework": source,
            "target_framework": target,
            "version": "1",
            "mappings": [
                {"source": s, "target": t, "relationship": r, "rationale": {"en": "test"}}
                for s, t, r in rows
            ],
        }
    )


CSF = _framework(
    "csf",
    [
        ("F1", None),
        ("C1", "F1"),
        ("S1", "C1"),
        ("S2", "C1"),
        ("C2", "F1"),
        ("S3", "C2"),
        ("F2", None),
        ("C3", "F2"),
        ("S4", "C3"),
    ],
)
A = _framework("a", [("top", None), ("a1", "top"), ("a2", "top"), ("a3", "top")])
B = _framework("b", [("top", None), ("b1", "top")])
LIBRARY = Library(
    [CSF, A, B],
    [
        _mappings(
            "a-to-csf",
            "a",
            "csf",
            [
                ("a1", "S1", "equal"),
                ("a1", "S2", "intersect"),
                ("a2", "S2", "subset"),
                ("a3", "S4", "superset"),
            ],
        ),
        _mappings("b-to-a", "b", "a", [("b1", "a1", "intersect"), ("b1", "a2", "equal")]),
    ],
)
TREE = m.csf_tree(LIBRARY, "csf")
LINKS = m.csf_links(LIBRARY, TREE, "csf")


# --- scales ------------------------------------------------------------------------------------


def test_default_scale_runs_from_baseline_to_best_practice() -> None:
    scale = m.default_scale()
    assert scale.values == (1, 2, 3, 4, 5)
    assert scale.level(1).title("zh-TW") == "防護基準"
    assert scale.level(5).title("zh-TW") == "典範實務"
    assert scale.level(1).title("en") == "Baseline compliance"
    assert scale.level(5).title("en") == "Best practice"
    assert scale.label(3, "en") == "3 Intermediate"
    assert "最低" in scale.level(1).description("zh-TW")


def test_a_framework_with_its_own_levels_uses_them() -> None:
    library = load_library()
    zero_trust = library.framework("fsc-zero-trust-maturity")
    scale = m.scale_from_library(zero_trust.maturity_levels)
    assert scale.values == (1, 2, 3, 4)
    assert [scale.level(v).title("zh-TW") for v in scale.values] == ["傳統", "初始", "進階", "最佳"]
    assert scale.to_default(1) == 1 and scale.to_default(4) == 5
    # The JSON form the web app stores gives the same scale.
    stored = [level.model_dump(mode="json", by_alias=True) for level in zero_trust.maturity_levels]
    assert m.scale_from_library(stored).values == scale.values
    assert m.scale_from_library([]) is m.default_scale()


def test_bad_scales_and_levels_are_refused() -> None:
    with pytest.raises(m.ScaleError):
        m.Scale((m.Level(1, "only", {"en": "Only"}),))
    with pytest.raises(m.ScaleError):
        m.Scale((m.Level(2, "b", {"en": "B"}), m.Level(1, "a", {"en": "A"})))
    with pytest.raises(m.ScaleError):
        m.default_scale().level(6)
    with pytest.raises(m.ScaleError):
        m.framework_maturity("x", m.default_scale(), [1], target=9)


# --- targets -----------------------------------------------------------------------------------


def test_a_target_for_the_tier_wins_over_the_general_one() -> None:
    targets = [
        m.Target("twse", None, 3),
        m.Target("twse", 1, 4),
        m.Target("iso", 2, 2),
    ]
    assert m.target_for(targets, "twse", 1) == 4
    assert m.target_for(targets, "twse", 2) == 3
    assert m.target_for(targets, "twse", None) == 3
    assert m.target_for(targets, "iso", 1) is None
    assert m.target_for(targets, "iso", 2) == 2
    assert m.target_for(targets, "other", 1) is None


# --- per framework -----------------------------------------------------------------------------


def test_framework_roll_up() -> None:
    result = m.framework_maturity("x", m.default_scale(), [1, 2, 2, 3, 5, 7], target=3)
    assert result.distribution == {1: 1, 2: 2, 3: 1, 4: 0, 5: 1}
    assert result.out_of_scale == 1  # level 7 is not on the scale and scores nothing
    assert result.assessed == 5
    assert result.mean == pytest.approx(13 / 5)
    assert result.at_target == 2
    assert result.share_at_target == pytest.approx(2 / 5)
    assert m.framework_maturity("x", m.default_scale(), {2: 3}, None).share_at_target is None
    empty = m.framework_maturity("x", m.default_scale(), [], target=3)
    assert empty.mean is None and empty.share_at_target is None and empty.at_target == 0


def test_normalised_mean_compares_frameworks_on_different_scales() -> None:
    zero_trust = m.scale_from_library(
        load_library().framework("fsc-zero-trust-maturity").maturity_levels
    )
    assert m.framework_maturity("zt", zero_trust, [4, 4]).normalised_mean == 5
    assert m.framework_maturity("zt", zero_trust, [1]).normalised_mean == 1


# --- NIST CSF ----------------------------------------------------------------------------------


def test_the_shipped_csf_has_six_functions_22_categories_106_subcategories() -> None:
    library = load_library()
    tree = m.csf_tree(library)
    assert tree.functions == ("GV", "ID", "PR", "DE", "RS", "RC")
    assert sum(len(c) for c in tree.categories.values()) == 22
    assert len(tree.all_subcategories) == 106
    assert tree.title("GV", "zh-TW") == "治理" and tree.title("GV", "en") == "Govern"
    links = m.csf_links(library, tree)
    # Every mapped requirement reaches subcategories of the tree, nowhere else.
    assert all(link.subcategory in tree.all_subcategories for ls in links.values() for link in ls)
    iso = {link.subcategory: link.weight for link in links[("iso27001-2022-annex-a", "A.5.1")]}
    assert iso == {"GV.PO-01": 0.5, "GV.PO-02": 0.5}  # both intersect
    # The 2020 action plan reaches the CSF only through the blueprint (a chain of two).
    assert links[("fsc-action-plan-2020", "m-1.1-1")]


def test_links_weigh_relationships_and_follow_chains() -> None:
    assert LINKS[("a", "a1")] == (m.Link("S1", 1.0), m.Link("S2", 0.5))
    assert LINKS[("a", "a2")] == (m.Link("S2", 0.5),)
    assert LINKS[("a", "a3")] == (m.Link("S4", 1.0),)
    # b1 reaches S1 through a1 (0.5 x 1) and S2 through a1 (0.5 x 0.5) or a2 (1 x 0.5): the
    # strongest chain counts.
    assert LINKS[("b", "b1")] == (m.Link("S1", 0.5), m.Link("S2", 0.5))
    assert LINKS[("csf", "S3")] == (m.Link("S3", 1.0),)


def test_csf_roll_up_by_subcategory_category_function() -> None:
    values = {("a", "a1"): 4.0, ("a", "a2"): 2.0, ("csf", "S3"): 5.0, ("a", "a3"): 1.0}
    rollup = m.csf_rollup(values, LINKS, TREE)
    assert rollup.subcategories["S1"] == 4.0
    assert rollup.subcategories["S2"] == pytest.approx((4 * 0.5 + 2 * 0.5) / 1.0)
    assert rollup.categories["C1"] == pytest.approx((4 + 3) / 2)
    assert rollup.categories["C2"] == 5.0
    assert rollup.functions["F1"] == pytest.approx((3.5 + 5) / 2)
    assert rollup.functions["F2"] == 1.0
    assert rollup.overall == pytest.approx((4.25 + 1) / 2)
    assert rollup.contributions == {"S1": 1, "S2": 2, "S3": 1, "S4": 1}
    assert rollup.coverage(TREE) == 1.0


def test_unassessed_parts_of_the_csf_stay_unscored() -> None:
    rollup = m.csf_rollup({("a", "a3"): 3.0}, LINKS, TREE)
    assert rollup.functions == {"F1": None, "F2": 3.0}
    assert rollup.categories["C1"] is None
    assert rollup.coverage(TREE) == 0.25
    assert m.csf_rollup({}, LINKS, TREE).overall is None


def test_values_are_placed_on_the_default_scale_and_targets_rolled_up() -> None:
    four = m.Scale(tuple(m.Level(v, str(v), {"en": str(v)}) for v in (1, 2, 3, 4)))
    placed = m.default_values({("a", "a1"): 4, ("b", "b1"): 9, ("csf", "S3"): 2}, {"a": four})
    assert placed == {("a", "a1"): 5.0, ("csf", "S3"): 2.0}  # b1's 9 is off the scale
    targets = [m.Target("a", None, 3), m.Target("a", 1, 4), m.Target("csf", None, 2)]
    keys = [("a", "a1"), ("a", "a3"), ("csf", "S3"), ("b", "b1")]
    tier_one = m.target_values(keys, targets, 1, {"a": four})
    assert tier_one == {("a", "a1"): 5.0, ("a", "a3"): 5.0, ("csf", "S3"): 2.0}
    tier_two = m.target_values(keys, targets, 2, {"a": four})
    assert tier_two[("a", "a1")] == pytest.approx(1 + 2 / 3 * 4)
    target_rollup = m.csf_rollup(tier_one, LINKS, TREE)
    assert target_rollup.functions == {"F1": pytest.approx((5 + 2) / 2), "F2": 5.0}


def test_comparison_with_the_previous_period() -> None:
    deltas = m.compare({"GV": 3.0, "PR": None, "ID": 2.5}, {"GV": 2.0, "ID": 2.5, "RC": 1.0})
    assert [(d.key, d.change) for d in deltas] == [
        ("GV", 1.0),
        ("PR", None),
        ("ID", 0.0),
        ("RC", None),
    ]
    assert deltas[-1].current is None and deltas[-1].previous == 1.0


# --- properties --------------------------------------------------------------------------------

KEYS = sorted(LINKS)
levels_on_default_scale = st.floats(min_value=1, max_value=5, allow_nan=False)
value_maps = st.dictionaries(st.sampled_from(KEYS), levels_on_default_scale, max_size=len(KEYS))


@given(st.lists(st.integers(min_value=0, max_value=7), max_size=40), st.integers(1, 5))
def test_framework_scores_stay_within_the_scale(levels: list[int], target: int) -> None:
    scale = m.default_scale()
    result = m.framework_maturity("x", scale, levels, target)
    if result.mean is not None:
        assert scale.minimum <= result.mean <= scale.maximum
        assert 1 <= result.normalised_mean <= 5  # type: ignore[operator]
    if result.share_at_target is not None:
        assert 0 <= result.share_at_target <= 1
    assert result.assessed + result.out_of_scale == len(levels)


@given(value_maps)
def test_csf_scores_stay_within_the_scale(values: dict[m.Key, float]) -> None:
    rollup = m.csf_rollup(values, LINKS, TREE)
    scores = [
        *rollup.subcategories.values(),
        *(v for v in rollup.categories.values() if v is not None),
        *(v for v in rollup.functions.values() if v is not None),
    ]
    assert all(1 - 1e-9 <= score <= 5 + 1e-9 for score in scores)


@given(value_maps, st.sampled_from(KEYS), st.floats(min_value=0, max_value=4))
def test_raising_one_level_never_lowers_a_roll_up(
    values: dict[m.Key, float], key: m.Key, raise_by: float
) -> None:
    before = m.csf_rollup(values, LINKS, TREE)
    raised = dict(values)
    raised[key] = min(5.0, raised.get(key, 1.0) + raise_by)
    if key not in values:
        raised[key] = 5.0  # a new result at the top cannot lower anything either
    after = m.csf_rollup(raised, LINKS, TREE)
    for function, score in before.functions.items():
        if score is not None:
            assert after.functions[function] is not None
            assert after.functions[function] >= score - 1e-9  # type: ignore[operator]


@given(st.lists(st.integers(min_value=1, max_value=5), max_size=30), st.randoms())
def test_raising_one_level_never_lowers_a_framework_mean(
    levels: list[int], rnd: random.Random
) -> None:
    if not levels:
        return
    before = m.framework_maturity("x", m.default_scale(), levels, 3)
    index = rnd.randrange(len(levels))
    raised = list(levels)
    raised[index] = min(5, raised[index] + 1)
    after = m.framework_maturity("x", m.default_scale(), raised, 3)
    assert after.mean >= before.mean  # type: ignore[operator]
    assert after.at_target >= before.at_target  # type: ignore[operator]


@settings(max_examples=50)
@given(value_maps, st.randoms())
def test_roll_ups_do_not_depend_on_input_order(
    values: dict[m.Key, float], rnd: random.Random
) -> None:
    items = list(values.items())
    rnd.shuffle(items)
    assert m.csf_rollup(dict(items), LINKS, TREE) == m.csf_rollup(values, LINKS, TREE)
    levels = [round(v) for v in values.values()]
    shuffled = list(levels)
    rnd.shuffle(shuffled)
    scale = m.default_scale()
    assert m.framework_maturity("x", scale, shuffled) == m.framework_maturity("x", scale, levels)
