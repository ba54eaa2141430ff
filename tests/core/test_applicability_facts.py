"""Statuses, three-valued facts, scope and executing units in the applicability engine.

The property tests compare the engine with a brute-force reading: a requirement applies under a
complete profile when every condition on its path holds; under a partial profile it is listed as
in force / upcoming / overdue when every completion of the unknown facts agrees that it applies,
left out when every completion agrees it does not, and conditional otherwise.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finres.core.applicability import (
    Status,
    applicability_data,
    applicable,
    status_of,
)
from finres.core.library import Library, load_library
from finres.core.library.schema import Framework
from finres.core.profile import InstitutionProfile
from finres.core.vocab import ExecutingUnit, Fact

from .test_rules import reference

AS_OF = dt.date(2026, 6, 30)
HEADER: dict[str, Any] = {
    "format_version": 1,
    "id": "gen",
    "name": {"zh-TW": "生成", "en": "Generated"},
    "version": "1",
    "kind": "regulation",
    "binding": True,
    "publisher": {"zh-TW": "機關", "en": "Authority"},
    "published": "2021-01-01",
    "source": {"title": {"zh-TW": "文件", "en": "Document"}},
    "source_language": "zh-TW",
    "copyright": {"en": "Test data."},
}


def framework(nodes: list[dict[str, Any]], **fields: Any) -> Library:
    data = {**HEADER, **fields, "requirements": nodes}
    return Library([Framework.model_validate(data)], [])


def node(node_id: str, parent: str | None = None, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": node_id, "title": {"zh-TW": node_id, "en": node_id}, **fields}
    if parent is not None:
        data["parent"] = parent
    if data.get("assessable"):
        data.setdefault("obligation", "shall")
    return data


def profile(**fields: Any) -> InstitutionProfile:
    data = {"name": "T", "industry": "bank", "paid_in_capital": 1, **fields}
    return InstitutionProfile.model_validate(data)


def listed(library: Library, institution: InstitutionProfile) -> dict[str, Any]:
    result = applicable(library, institution, AS_OF)
    return {item.node.id: item for item in result.requirements}


# --- executing units ----------------------------------------------------------------------------


def test_a_node_naming_institutions_below_one_that_does_not_is_listed() -> None:
    library = framework(
        [
            node("m-5", executing_units=["fsc", "f_isac"], assessable=True),
            node("m-5.fi", "m-5", executing_units=["financial_institutions"], assessable=True),
            node("m-5.inherits", "m-5", assessable=True),
            node("m-5.fi.deeper", "m-5.fi", assessable=True),
            node("m-6", executing_units=["financial_institutions", "fsc"]),
            node("m-6.fsc", "m-6", executing_units=["fsc"], assessable=True),
        ]
    )
    assert list(listed(library, profile())) == ["m-5.fi", "m-5.fi.deeper"]


# --- statuses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effective_from", "due_by", "depends_on", "status"),
    [
        (None, None, (), Status.IN_FORCE),
        (AS_OF, AS_OF, (), Status.IN_FORCE),  # due today is not overdue yet
        (None, AS_OF - dt.timedelta(days=1), (), Status.OVERDUE),
        (AS_OF + dt.timedelta(days=1), None, (), Status.UPCOMING),
        (None, AS_OF - dt.timedelta(days=1), ("soc",), Status.CONDITIONAL),
    ],
)
def test_status_rule(
    effective_from: dt.date | None,
    due_by: dt.date | None,
    depends_on: tuple[str, ...],
    status: Status,
) -> None:
    assert status_of(AS_OF, effective_from, due_by, depends_on) is status


def test_statuses_in_the_json_contract() -> None:
    library = framework(
        [
            node("past", assessable=True, due_by="2025-12-31"),
            node("now", assessable=True, due_by="2026-06-30"),
            node("later", assessable=True, effective_from="2027-01-01"),
            node("soc", assessable=True, applies_when={"facts.soc": {"eq": True}}),
            node(
                "web",
                assessable=True,
                scope="internet_facing_core_systems",
                due_by="2025-01-01",
            ),
            node("big", assessable=True, applies_when={"total_assets": {"gte": 10**12}}),
        ]
    )
    data = applicability_data(applicable(library, profile(), AS_OF), "en")
    rows = {row["id"]: row for row in data["requirements"]}
    assert {
        key: (row["status"], row["depends_on"], row["in_force"]) for key, row in rows.items()
    } == {
        "past": ("overdue", [], True),
        "now": ("in_force", [], True),
        "later": ("upcoming", [], False),
        "soc": ("conditional", ["soc"], True),
        "web": ("conditional", ["internet_facing_core_systems"], True),
        "big": ("conditional", ["total_assets"], True),
    }
    stated = profile(
        facts={"soc": True, "internet_facing_core_systems": False}, total_assets=10**12
    )
    data = applicability_data(applicable(library, stated, AS_OF), "en")
    rows = {row["id"]: row for row in data["requirements"]}
    assert {key: row["status"] for key, row in rows.items()} == {
        "past": "overdue",
        "now": "in_force",
        "later": "upcoming",
        "soc": "in_force",
        "big": "in_force",
    }


def test_scope_on_internet_facing_core_systems_is_a_condition() -> None:
    library = framework(
        [
            node("whole", assessable=True, scope="whole_company"),
            node("web", assessable=True, scope="internet_facing_core_systems"),
        ]
    )
    none = profile(facts={"internet_facing_core_systems": False})
    some = profile(facts={"internet_facing_core_systems": True})
    assert list(listed(library, none)) == ["whole"]
    assert listed(library, some)["web"].status is Status.IN_FORCE
    assert listed(library, profile())["web"].depends_on == ("internet_facing_core_systems",)


def test_framework_condition_on_an_unknown_fact_makes_everything_conditional() -> None:
    library = framework(
        [node("a", assessable=True), node("b", assessable=True)],
        applies_when={"facts.remote_insurance": {"eq": True}},
    )
    assert {i.depends_on for i in listed(library, profile()).values()} == {("remote_insurance",)}
    assert listed(library, profile(facts={"remote_insurance": False})) == {}


def test_depends_on_names_only_the_facts_that_matter_along_the_path() -> None:
    library = framework(
        [
            node(
                "ch",
                applies_when={"any": [{"facts.soc": {"eq": True}}, {"industry": {"eq": "bank"}}]},
            ),
            node("r", "ch", assessable=True, applies_when={"facts.hybrid_cloud": {"eq": True}}),
            node("c", "ch", applies_when={"facts.soc": {"eq": True}}),
            node("c.r", "c", assessable=True, applies_when={"facts.soc": {"eq": False}}),
        ]
    )
    found = listed(library, profile())
    # the chapter holds for a bank whatever soc is; "c.r" needs soc both true and false
    assert list(found) == ["r"]
    assert found["r"].depends_on == ("hybrid_cloud",)


# --- property tests -----------------------------------------------------------------------------

FACTS = [Fact.SOC, Fact.HYBRID_CLOUD, Fact.THIRD_PARTY_AI, Fact.INTERNET_FACING_CORE_SYSTEMS]
UNITS = list(ExecutingUnit)
THRESHOLDS = [0, 10, 1000]

leaves = st.one_of(
    st.builds(
        lambda fact, value: {f"facts.{fact.value}": {"eq": value}},
        st.sampled_from(FACTS),
        st.booleans(),
    ),
    st.builds(
        lambda op, value: {"total_assets": {op: value}},
        st.sampled_from(["eq", "gte", "gt", "lte", "lt"]),
        st.sampled_from(THRESHOLDS),
    ),
    st.builds(lambda value: {"industry": {"eq": value}}, st.sampled_from(["bank", "insurance"])),
)
conditions = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(lambda cs: {"all": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=5,
)


@st.composite
def trees(draw: st.DrawFn, with_conditions: bool) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=1, max_value=12))
    nodes: list[dict[str, Any]] = []
    for index in range(count):
        fields: dict[str, Any] = {"assessable": draw(st.booleans())}
        parent = draw(st.one_of(st.none(), st.integers(0, index - 1))) if index else None
        units = draw(
            st.one_of(st.none(), st.lists(st.sampled_from(UNITS), min_size=1, unique=True))
        )
        if units is not None:
            fields["executing_units"] = [unit.value for unit in units]
        if with_conditions:
            condition = draw(st.one_of(st.none(), conditions))
            if condition is not None:
                fields["applies_when"] = condition
            scope = draw(st.sampled_from([None, "whole_company", "internet_facing_core_systems"]))
            if scope is not None:
                fields["scope"] = scope
        nodes.append(node(f"n{index}", None if parent is None else f"n{parent}", **fields))
    return nodes


def _path(nodes: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    by_id = {n["id"]: n for n in nodes}
    chain = [nodes[index]]
    while "parent" in chain[-1]:
        chain.append(by_id[chain[-1]["parent"]])
    return chain  # the node first, then its ancestors nearest first


def _concerns_institutions(chain: list[dict[str, Any]]) -> bool:
    for item in chain:  # the nearest node that names executing units decides
        if "executing_units" in item:
            return "financial_institutions" in item["executing_units"]
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(with_conditions=False))
def test_no_institution_facing_node_is_ever_unreachable(nodes: list[dict[str, Any]]) -> None:
    found = listed(framework(nodes), profile())
    expected = [
        n["id"]
        for i, n in enumerate(nodes)
        if n.get("assessable") and _concerns_institutions(_path(nodes, i))
    ]
    assert sorted(found) == sorted(expected)


partial_facts = st.dictionaries(st.sampled_from(FACTS), st.booleans())
assets = st.one_of(st.none(), st.integers(min_value=0, max_value=2000))


def _values(facts: dict[Fact, bool], total_assets: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {"industry": "bank", "total_assets": total_assets}
    for fact in Fact:
        values[f"facts.{fact.value}"] = facts.get(fact)
    return values


def _applies(chain: list[dict[str, Any]], values: dict[str, Any]) -> bool:
    """Under a complete profile: every condition on the path holds, the scope included."""
    for item in chain:
        if "applies_when" in item and not reference(item["applies_when"], values):
            return False
    if chain[0].get("scope") == "internet_facing_core_systems":
        return values["facts.internet_facing_core_systems"] is True
    return True


def _completions(facts: dict[Fact, bool], total_assets: int | None) -> list[dict[str, Any]]:
    unknown = [fact for fact in FACTS if fact not in facts]
    asset_values = (
        [total_assets]
        if total_assets is not None
        else sorted({max(t + d, 0) for t in THRESHOLDS for d in (-1, 0, 1)})
    )
    found = []
    for stated in itertools.product([True, False], repeat=len(unknown)):
        for amount in asset_values:
            found.append(_values({**facts, **dict(zip(unknown, stated, strict=True))}, amount))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(with_conditions=True), partial_facts, assets)
def test_conditional_exactly_when_the_answer_depends_on_an_unknown_fact(
    nodes: list[dict[str, Any]], facts: dict[Fact, bool], total_assets: int | None
) -> None:
    library = framework(nodes)
    found = listed(
        library,
        profile(facts={f.value: v for f, v in facts.items()}, total_assets=total_assets),
    )
    completions = _completions(facts, total_assets)
    unknown = {f.value for f in FACTS if f not in facts} | (
        {"total_assets"} if total_assets is None else set()
    )
    for index, item in enumerate(nodes):
        chain = _path(nodes, index)
        if not (item.get("assessable") and _concerns_institutions(chain)):
            assert item["id"] not in found
            continue
        answers = {_applies(chain, values) for values in completions}
        if answers == {False}:
            assert item["id"] not in found
        elif answers == {True}:
            assert found[item["id"]].status is not Status.CONDITIONAL
            assert found[item["id"]].depends_on == ()
        else:
            requirement = found[item["id"]]
            assert requirement.status is Status.CONDITIONAL
            assert requirement.depends_on and set(requirement.depends_on) <= unknown
            # each fact named really matters: some pair of completions differing only in it
            # gives different answers
            for name in requirement.depends_on:
                field = name if name == "total_assets" else f"facts.{name}"
                groups: dict[tuple[Any, ...], set[bool]] = {}
                for values in completions:
                    key = tuple(sorted((k, repr(v)) for k, v in values.items() if k != field))
                    groups.setdefault(key, set()).add(_applies(chain, values))
                assert any(len(answers) == 2 for answers in groups.values()), name


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(with_conditions=True), st.fixed_dictionaries({f: st.booleans() for f in FACTS}))
def test_a_profile_stating_every_fact_gets_no_conditional(
    nodes: list[dict[str, Any]], facts: dict[Fact, bool]
) -> None:
    stated = profile(facts={f.value: v for f, v in facts.items()}, total_assets=10)
    assert all(
        item.status is not Status.CONDITIONAL for item in listed(framework(nodes), stated).values()
    )


@pytest.mark.parametrize(
    "industry", ["securities", "futures", "investment_trust", "bank", "insurance"]
)
@pytest.mark.parametrize("stated", [True, False])
def test_shipped_library_with_every_fact_stated_has_no_conditional(
    industry: str, stated: bool
) -> None:
    institution = profile(
        industry=industry,
        paid_in_capital=15_000_000_000,
        uses=["cloud", "ai", "generative_ai"],
        facts={fact.value: stated for fact in Fact},
        total_assets=2 * 10**12 if stated else 10**9,
    )
    result = applicable(load_library(), institution, AS_OF, include_voluntary=True)
    assert result.requirements
    assert result.conditional == []
