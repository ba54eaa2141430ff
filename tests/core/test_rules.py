from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finres.core import rules
from finres.core.vocab import Fact, Industry, Use

FACTS = {
    "industry": Industry.SECURITIES,
    "paid_in_capital": 5_000_000_000,
    "internet_order": True,
    "uses": frozenset({Use.CLOUD, Use.AI}),
    "tier": 3,
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"industry": {"eq": "securities"}}, True),
        ({"industry": {"in": ["bank", "insurance"]}}, False),
        ({"uses": {"contains": "cloud"}}, True),
        ({"uses": {"contains": "iot"}}, False),
        ({"uses": {"contains_any": ["iot", "ai"]}}, True),
        ({"uses": {"contains_all": ["cloud", "ai"]}}, True),
        ({"uses": {"contains_all": ["cloud", "iot"]}}, False),
        ({"internet_order": {"eq": False}}, False),
        ({"paid_in_capital": {"gte": 4_000_000_000, "lt": 10_000_000_000}}, True),
        ({"paid_in_capital": {"gte": 10_000_000_000}}, False),
        ({"tier": {"in": [1, 2, 3]}}, True),
        ({"tier": {"lte": 2}}, False),
        ({"not": {"uses": {"contains": "cloud"}}}, False),
        ({"all": [{"industry": {"eq": "securities"}}, {"uses": {"contains": "iot"}}]}, False),
        ({"any": [{"industry": {"eq": "bank"}}, {"uses": {"contains": "ai"}}]}, True),
    ],
)
def test_conditions_evaluate(condition: dict[str, Any], expected: bool) -> None:
    assert rules.parse(condition).holds(FACTS) is expected


def test_no_tier_satisfies_no_tier_test() -> None:
    facts = {**FACTS, "tier": None}
    for condition in ({"tier": {"in": [1, 2, 3, 4]}}, {"tier": {"gte": 1}}, {"tier": {"lte": 9}}):
        assert rules.parse(condition).holds(facts) is False


@pytest.mark.parametrize(
    ("condition", "path", "fragment"),
    [
        ({"industri": {"eq": "bank"}}, "applies_when", "unknown field or combinator 'industri'"),
        ({"industry": {"eq": "banks"}}, "applies_when.industry.eq", "'banks' is not one of"),
        ({"uses": {"eq": "cloud"}}, "applies_when.uses", "operator 'eq' does not apply"),
        ({"paid_in_capital": {"gte": "4億"}}, "applies_when.paid_in_capital.gte", "whole number"),
        ({"paid_in_capital": {"gte": True}}, "applies_when.paid_in_capital.gte", "whole number"),
        ({"internet_order": {"eq": "yes"}}, "applies_when.internet_order.eq", "true or false"),
        ({"all": []}, "applies_when.all", "non-empty list"),
        (
            {"industry": {"eq": "bank"}, "uses": {"contains": "ai"}},
            "applies_when",
            "exactly one key",
        ),
        ({"industry": {"in": []}}, "applies_when.industry.in", "non-empty list"),
        ("cloud", "applies_when", "exactly one key"),
    ],
)
def test_invalid_conditions_name_the_path(condition: Any, path: str, fragment: str) -> None:
    with pytest.raises(rules.RuleError) as caught:
        rules.parse(condition)
    assert any(p == path and fragment in m for p, m in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_not_only_the_first() -> None:
    condition = {
        "all": [
            {"industry": {"eq": "banks"}},
            {"uses": {"contains": "clouds"}},
            {"not": {"tier": {"in": ["one"]}}},
        ]
    }
    with pytest.raises(rules.RuleError) as caught:
        rules.parse(condition)
    paths = [path for path, _ in caught.value.problems]
    assert paths == [
        "applies_when.all[0].industry.eq",
        "applies_when.all[1].uses.contains",
        "applies_when.all[2].not.tier.in[0]",
    ]


# --- property tests: the interpreter agrees with a direct reading of the rule form --------------

industries = st.sampled_from(list(Industry))
uses_sets = st.frozensets(st.sampled_from(list(Use)))
capitals = st.integers(min_value=0, max_value=10**12)
tiers = st.one_of(st.none(), st.integers(min_value=1, max_value=4))

facts_strategy = st.fixed_dictionaries(
    {
        "industry": industries,
        "paid_in_capital": capitals,
        "internet_order": st.booleans(),
        "uses": uses_sets,
        "tier": tiers,
    }
)

leaves = st.one_of(
    st.builds(lambda v: {"industry": {"eq": v.value}}, industries),
    st.builds(
        lambda vs: {"industry": {"in": sorted(v.value for v in vs)}},
        st.frozensets(industries, min_size=1),
    ),
    st.builds(lambda v: {"uses": {"contains": v.value}}, st.sampled_from(list(Use))),
    st.builds(
        lambda vs: {"uses": {"contains_any": sorted(v.value for v in vs)}},
        st.frozensets(st.sampled_from(list(Use)), min_size=1),
    ),
    st.builds(
        lambda vs: {"uses": {"contains_all": sorted(v.value for v in vs)}},
        st.frozensets(st.sampled_from(list(Use)), min_size=1),
    ),
    st.builds(lambda v: {"internet_order": {"eq": v}}, st.booleans()),
    st.builds(
        lambda op, v: {"paid_in_capital": {op: v}},
        st.sampled_from(["eq", "gte", "gt", "lte", "lt"]),
        capitals,
    ),
    st.builds(
        lambda vs: {"tier": {"in": sorted(vs)}}, st.frozensets(st.integers(1, 4), min_size=1)
    ),
)

conditions = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(lambda cs: {"all": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=8,
)


def reference(condition: dict[str, Any], facts: dict[str, Any]) -> bool:
    """An independent, literal reading of the rule form, to check the interpreter against."""
    ((key, body),) = condition.items()
    if key == "all":
        return all(reference(c, facts) for c in body)
    if key == "any":
        return any(reference(c, facts) for c in body)
    if key == "not":
        return not reference(body, facts)
    actual = facts[key]
    ok = True
    for op, value in body.items():
        if key == "uses":
            held = {str(u) for u in actual}
            wanted = {value} if op == "contains" else set(value)
            ok &= bool(held & wanted) if op == "contains_any" else wanted <= held
        elif op == "eq":
            ok &= str(actual) == str(value) if key == "industry" else actual == value
        elif op == "in":
            ok &= (str(actual) if key == "industry" else actual) in value
        else:
            ok &= (
                actual is not None
                and {
                    "gte": actual >= value,
                    "gt": actual > value,
                    "lte": actual <= value,
                    "lt": actual < value,
                }[op]
            )
    return ok


@given(conditions, facts_strategy)
def test_interpreter_matches_the_reference_reading(
    condition: dict[str, Any], facts: dict[str, Any]
) -> None:
    assert rules.parse(condition).holds(facts) == reference(condition, facts)


@given(conditions)
def test_parsed_conditions_round_trip(condition: dict[str, Any]) -> None:
    parsed = rules.parse(condition)
    assert rules.parse(parsed.to_data()) == parsed


@given(conditions, facts_strategy)
def test_not_negates(condition: dict[str, Any], facts: dict[str, Any]) -> None:
    assert rules.parse({"not": condition}).holds(facts) != rules.parse(condition).holds(facts)


# --- facts the profile may leave unknown: three-valued evaluation --------------------------------


def test_fact_fields_exist_for_every_fact_and_total_assets() -> None:
    for fact in Fact:
        parsed = rules.parse({f"facts.{fact.value}": {"eq": True}})
        assert parsed.to_data() == {f"facts.{fact.value}": {"eq": True}}
    parsed = rules.parse({"total_assets": {"gte": 1_000_000_000_000}})
    assert parsed.to_data() == {"total_assets": {"gte": 1_000_000_000_000}}


@pytest.mark.parametrize(
    ("condition", "path", "fragment"),
    [
        ({"facts.soc": {"eq": "yes"}}, "applies_when.facts.soc.eq", "true or false"),
        ({"facts.soc": {"in": [True]}}, "applies_when.facts.soc", "operator 'in'"),
        ({"facts.socc": {"eq": True}}, "applies_when", "unknown field or combinator"),
        ({"total_assets": {"gte": "1兆"}}, "applies_when.total_assets.gte", "whole number"),
        ({"total_assets": {"contains": 1}}, "applies_when.total_assets", "operator 'contains'"),
    ],
)
def test_invalid_fact_conditions_name_the_path(condition: Any, path: str, fragment: str) -> None:
    with pytest.raises(rules.RuleError) as caught:
        rules.parse(condition)
    assert any(p == path and fragment in m for p, m in caught.value.problems), caught.value.problems


UNKNOWN = {**FACTS, "total_assets": None, **{f"facts.{fact.value}": None for fact in Fact}}


@pytest.mark.parametrize(
    ("condition", "value", "depends_on"),
    [
        ({"facts.soc": {"eq": True}}, None, {"soc"}),
        ({"not": {"facts.soc": {"eq": True}}}, None, {"soc"}),
        ({"total_assets": {"gte": 10**12}}, None, {"total_assets"}),
        # Kleene: a false conjunct or a true disjunct decides whatever the unknown fact is
        ({"all": [{"facts.soc": {"eq": True}}, {"industry": {"eq": "bank"}}]}, False, set()),
        ({"any": [{"facts.soc": {"eq": True}}, {"industry": {"eq": "securities"}}]}, True, set()),
        (
            {"all": [{"facts.soc": {"eq": True}}, {"industry": {"eq": "securities"}}]},
            None,
            {"soc"},
        ),
        (
            {"any": [{"facts.hybrid_cloud": {"eq": True}}, {"total_assets": {"lt": 5}}]},
            None,
            {"hybrid_cloud", "total_assets"},
        ),
        # decided by the facts themselves: the same unknown both ways
        ({"any": [{"facts.soc": {"eq": True}}, {"facts.soc": {"eq": False}}]}, True, set()),
        ({"all": [{"facts.soc": {"eq": True}}, {"facts.soc": {"eq": False}}]}, False, set()),
        ({"total_assets": {"gte": 10, "lt": 10}}, False, set()),
        # only the fact that can change the answer is named
        (
            {
                "any": [
                    {"all": [{"facts.soc": {"eq": True}}, {"facts.soc": {"eq": False}}]},
                    {"facts.third_party_ai": {"eq": True}},
                ]
            },
            None,
            {"third_party_ai"},
        ),
    ],
)
def test_unknown_facts_give_three_valued_answers(
    condition: dict[str, Any], value: bool | None, depends_on: set[str]
) -> None:
    verdict = rules.evaluate(rules.parse(condition), UNKNOWN)
    assert verdict.value is value
    assert verdict.depends_on == depends_on
    assert rules.parse(condition).holds(UNKNOWN) is (value is True)


def test_stated_facts_decide() -> None:
    facts = {**UNKNOWN, "facts.soc": False, "total_assets": 2 * 10**12}
    assert rules.evaluate(rules.parse({"facts.soc": {"eq": False}}), facts) == rules.TRUE
    assert rules.evaluate(rules.parse({"facts.soc": {"eq": True}}), facts) == rules.FALSE
    assert rules.evaluate(rules.parse({"total_assets": {"gte": 10**12}}), facts) == rules.TRUE
    assert rules.evaluate(rules.parse({"total_assets": {"lt": 10**12}}), facts) == rules.FALSE


# --- property tests: three-valued evaluation against every completion of the unknown facts ------

FACT_FIELDS = ["facts.soc", "facts.hybrid_cloud", "facts.third_party_ai"]
ASSET_POINTS = [0, 10, 1000]

fact_leaves = st.one_of(
    st.builds(lambda f, v: {f: {"eq": v}}, st.sampled_from(FACT_FIELDS), st.booleans()),
    st.builds(
        lambda op, v: {"total_assets": {op: v}},
        st.sampled_from(["eq", "gte", "gt", "lte", "lt"]),
        st.sampled_from(ASSET_POINTS),
    ),
    st.builds(lambda v: {"industry": {"eq": v.value}}, industries),
)
fact_conditions = st.recursive(
    fact_leaves,
    lambda children: st.one_of(
        st.builds(lambda cs: {"all": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=6,
)
partial = st.fixed_dictionaries(
    {
        **{field: st.one_of(st.none(), st.booleans()) for field in FACT_FIELDS},
        "total_assets": st.one_of(st.none(), st.sampled_from([0, 9, 10, 11, 999, 5000])),
        "industry": industries,
    }
)


def completions(facts: dict[str, Any]) -> list[dict[str, Any]]:
    unknown = [field for field in [*FACT_FIELDS, "total_assets"] if facts[field] is None]
    domains = [
        [True, False]
        if field != "total_assets"
        else sorted({max(p + d, 0) for p in ASSET_POINTS for d in (-1, 0, 1)})
        for field in unknown
    ]
    return [
        {**facts, **dict(zip(unknown, values, strict=True))}
        for values in itertools.product(*domains)
    ]


def fact_name(field: str) -> str:
    return field.removeprefix("facts.")


@settings(max_examples=300, deadline=None)
@given(fact_conditions, partial)
def test_kleene_is_sound(condition: dict[str, Any], facts: dict[str, Any]) -> None:
    """A true or false answer of Kleene's logic is the answer however the unknowns are stated."""
    kleene = rules.parse(condition).kleene(facts)
    if kleene.value is not None:
        assert {reference(condition, c) for c in completions(facts)} == {kleene.value}
    else:
        assert kleene.depends_on  # an unknown answer always names a fact


@settings(max_examples=300, deadline=None)
@given(fact_conditions, partial)
def test_unknown_only_when_the_answer_really_depends_on_an_unknown_fact(
    condition: dict[str, Any], facts: dict[str, Any]
) -> None:
    verdict = rules.evaluate(rules.parse(condition), facts)
    answers = [(c, reference(condition, c)) for c in completions(facts)]
    outcomes = {answer for _, answer in answers}
    if len(outcomes) == 1:
        assert verdict.value is outcomes.pop() and verdict.depends_on == frozenset()
        return
    assert verdict.value is None
    # exactly the unknown facts whose value alone can change the answer
    matters = set()
    for field in [*FACT_FIELDS, "total_assets"]:
        if facts[field] is not None:
            continue
        groups: dict[str, set[bool]] = {}
        for completed, answer in answers:
            rest = repr(sorted((k, repr(v)) for k, v in completed.items() if k != field))
            groups.setdefault(rest, set()).add(answer)
        if any(len(found) == 2 for found in groups.values()):
            matters.add(fact_name(field))
    assert verdict.depends_on == matters


@settings(deadline=None)
@given(fact_conditions, partial)
def test_stating_every_fact_leaves_nothing_unknown(
    condition: dict[str, Any], facts: dict[str, Any]
) -> None:
    for completed in completions(facts):
        verdict = rules.evaluate(rules.parse(condition), completed)
        assert verdict.value is reference(condition, completed)
        assert verdict.depends_on == frozenset()
