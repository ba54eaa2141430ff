"""The applicability rule form: declarative conditions on an institution's profile.

A condition is plain data (as written in YAML)::

    condition := {all: [condition, ...]}
               | {any: [condition, ...]}
               | {not: condition}
               | {FIELD: {OPERATOR: VALUE, ...}}      # every operator must hold

Fields, their operators and allowed values are listed in ``FIELDS``. Conditions are parsed once
into immutable objects (``parse``), which checks every field, operator and value and reports
every problem with its path; evaluation never raises. There is no ``eval``: this module is the
whole interpreter.

Evaluation is three-valued. Some fields are facts an institution may not have stated
(``facts.<name>``, ``total_assets``): a missing value is **unknown**, not false. ``evaluate``
answers true, false or unknown with the unknown facts the answer depends on: all/any/not follow
Kleene's strong logic, and an unknown answer is then checked against every way the unknown facts
could be stated, so it stays unknown only when the answer really depends on them (and
``depends_on`` names exactly those facts). ``holds`` is "certainly true".
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from finres.core.vocab import Fact, Industry, Use

Facts = Mapping[str, Any]

# Above this many combinations of unknown values an unknown answer is left as Kleene's logic
# gives it (still sound: a true or false answer never depends on an unknown fact).
_MAX_COMPLETIONS = 4096


@dataclass(frozen=True)
class Verdict:
    """A three-valued answer: ``value`` is True, False or None (unknown); ``depends_on`` names
    the unknown facts an unknown answer depends on (empty when the answer is known)."""

    value: bool | None
    depends_on: frozenset[str] = frozenset()

    @property
    def unknown(self) -> bool:
        return self.value is None


TRUE = Verdict(True)
FALSE = Verdict(False)


def _unknown(verdicts: Iterable[Verdict]) -> Verdict:
    return Verdict(None, frozenset().union(*(v.depends_on for v in verdicts if v.value is None)))


class Condition(Protocol):
    def holds(self, facts: Facts) -> bool:
        """Whether the condition certainly holds (``evaluate(...).value is True``)."""
        ...

    def kleene(self, facts: Facts) -> Verdict: ...

    def to_data(self) -> Any: ...

    def fields(self) -> frozenset[str]: ...

    def tests(self) -> Iterable[Test]: ...


def evaluate(condition: Condition, facts: Facts) -> Verdict:
    """True, false or unknown, with the unknown facts the answer really depends on.

    Kleene's strong three-valued logic first; where it answers unknown, every completion of the
    unknown facts the condition reads is tried: the answer is unknown only if two completions
    disagree, and ``depends_on`` keeps the facts whose value can change the answer.
    """
    verdict = condition.kleene(facts)
    if verdict.value is not None:
        return verdict
    unknown_fields = sorted(
        {test.field for test in condition.tests() if is_unknown(test.field, facts)}
    )
    domains = [_candidates(field, condition) for field in unknown_fields]
    count = 1
    for domain in domains:
        count *= len(domain)
    if count > _MAX_COMPLETIONS:
        return verdict
    answers: dict[tuple[Any, ...], bool] = {}
    for values in itertools.product(*domains):
        completed = {**facts, **dict(zip(unknown_fields, values, strict=True))}
        answers[values] = condition.kleene(completed).value is True
    if len(set(answers.values())) == 1:
        return TRUE if next(iter(answers.values())) else FALSE
    relevant: set[str] = set()
    for position, field in enumerate(unknown_fields):
        seen: dict[tuple[Any, ...], set[bool]] = {}
        for values, answer in answers.items():
            seen.setdefault(values[:position] + values[position + 1 :], set()).add(answer)
        if any(len(found) > 1 for found in seen.values()):
            relevant.add(FIELDS[field].fact or field)
    return Verdict(None, frozenset(relevant))


def _candidates(field: str, condition: Condition) -> list[Any]:
    """Values of an unknown field that reach every outcome of the tests on it."""
    spec = FIELDS[field]
    if spec.kind == "boolean":
        return [True, False]
    points = {0}
    for test in condition.tests():
        if test.field == field:
            for value in test.value if isinstance(test.value, frozenset) else (test.value,):
                points |= {max(value - 1, 0), value, value + 1}
    return sorted(points)


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]

    def holds(self, facts: Facts) -> bool:
        return evaluate(self, facts).value is True

    def kleene(self, facts: Facts) -> Verdict:
        verdicts = [item.kleene(facts) for item in self.items]
        if any(v.value is False for v in verdicts):
            return FALSE
        if any(v.value is None for v in verdicts):
            return _unknown(verdicts)
        return TRUE

    def tests(self) -> Iterable[Test]:
        return [test for item in self.items for test in item.tests()]

    def to_data(self) -> Any:
        return {"all": [item.to_data() for item in self.items]}

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(item.fields() for item in self.items))


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]

    def holds(self, facts: Facts) -> bool:
        return evaluate(self, facts).value is True

    def kleene(self, facts: Facts) -> Verdict:
        verdicts = [item.kleene(facts) for item in self.items]
        if any(v.value is True for v in verdicts):
            return TRUE
        if any(v.value is None for v in verdicts):
            return _unknown(verdicts)
        return FALSE

    def tests(self) -> Iterable[Test]:
        return [test for item in self.items for test in item.tests()]

    def to_data(self) -> Any:
        return {"any": [item.to_data() for item in self.items]}

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(item.fields() for item in self.items))


@dataclass(frozen=True)
class Not:
    item: Condition

    def holds(self, facts: Facts) -> bool:
        return evaluate(self, facts).value is True

    def kleene(self, facts: Facts) -> Verdict:
        verdict = self.item.kleene(facts)
        return verdict if verdict.value is None else Verdict(not verdict.value)

    def tests(self) -> Iterable[Test]:
        return self.item.tests()

    def to_data(self) -> Any:
        return {"not": self.item.to_data()}

    def fields(self) -> frozenset[str]:
        return self.item.fields()


@dataclass(frozen=True)
class Test:
    """One field compared with one operator, e.g. ``uses contains cloud``."""

    field: str
    operator: str
    value: Any

    def holds(self, facts: Facts) -> bool:
        return evaluate(self, facts).value is True

    def kleene(self, facts: Facts) -> Verdict:
        spec = FIELDS[self.field]
        if is_unknown(self.field, facts):
            return Verdict(None, frozenset({spec.fact or self.field}))
        return Verdict(spec.operators[self.operator](facts.get(self.field), self.value))

    def tests(self) -> Iterable[Test]:
        return (self,)

    def to_data(self) -> Any:
        value = self.value
        if isinstance(value, frozenset):
            value = sorted(value)
        return {self.field: {self.operator: value}}

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})


class RuleError(ValueError):
    """A condition that does not follow the rule form; ``problems`` lists (path, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {msg}" if path else msg for path, msg in problems))


# --- operators ----------------------------------------------------------------------------------

Operator = Callable[[Any, Any], bool]


def _eq(actual: Any, expected: Any) -> bool:
    return bool(actual == expected)


def _in(actual: Any, expected: frozenset[Any]) -> bool:
    return actual in expected


def _compare(test: Callable[[Any, Any], bool]) -> Operator:
    # A missing number (e.g. no tier) never satisfies an ordering.
    return lambda actual, expected: actual is not None and test(actual, expected)


def _contains(actual: Any, expected: Any) -> bool:
    return expected in (actual or ())


def _contains_any(actual: Any, expected: frozenset[Any]) -> bool:
    return bool(expected & frozenset(actual or ()))


def _contains_all(actual: Any, expected: frozenset[Any]) -> bool:
    return expected <= frozenset(actual or ())


_ORDERING: dict[str, Operator] = {
    "eq": _eq,
    "gte": _compare(lambda a, b: a >= b),
    "gt": _compare(lambda a, b: a > b),
    "lte": _compare(lambda a, b: a <= b),
    "lt": _compare(lambda a, b: a < b),
}


@dataclass(frozen=True)
class FieldSpec:
    """What a field holds and which operators apply to it."""

    kind: str  # "enum", "enum_set", "integer", "boolean", "tier"
    operators: Mapping[str, Operator]
    choices: type[StrEnum] | None = None
    description: str = ""
    # For a fact the profile may leave unstated: its name in the profile (and in
    # ``depends_on``); a missing (None) value is then unknown rather than false.
    fact: str | None = None


def is_unknown(field: str, facts: Facts) -> bool:
    """Whether ``field`` is a fact the institution has not stated in ``facts``."""
    return FIELDS[field].fact is not None and facts.get(field) is None


FACT_FIELD_PREFIX = "facts."


FIELDS: dict[str, FieldSpec] = {
    "industry": FieldSpec("enum", {"eq": _eq, "in": _in}, Industry, "the institution's industry"),
    "paid_in_capital": FieldSpec(
        "integer", _ORDERING, description="paid-in (or allocated operating) capital in NT$"
    ),
    "internet_order": FieldSpec(
        "boolean", {"eq": _eq}, description="whether it takes orders over the internet"
    ),
    "uses": FieldSpec(
        "enum_set",
        {"contains": _contains, "contains_any": _contains_any, "contains_all": _contains_all},
        Use,
        "what it uses or offers",
    ),
    "tier": FieldSpec(
        "tier",
        {"eq": _eq, "in": _in, "gte": _ORDERING["gte"], "lte": _ORDERING["lte"]},
        description="tier from the library's tier rule for its industry (none if no rule)",
    ),
    "total_assets": FieldSpec(
        "integer",
        _ORDERING,
        description="total assets in NT$ (unknown when the profile does not state them)",
        fact="total_assets",
    ),
    **{
        FACT_FIELD_PREFIX + fact.value: FieldSpec(
            "boolean",
            {"eq": _eq},
            description=f"fact {fact.value} (unknown when the profile does not state it)",
            fact=fact.value,
        )
        for fact in Fact
    },
}

_SET_OPERATORS = {"in", "contains_any", "contains_all"}


# --- parsing ------------------------------------------------------------------------------------


def parse(data: Any, path: str = "applies_when") -> Condition:
    """Parse and check a condition; raise ``RuleError`` listing every problem found."""
    problems: list[tuple[str, str]] = []
    condition = _parse(data, path, problems)
    if problems or condition is None:
        raise RuleError(problems or [(path, "empty condition")])
    return condition


def _parse(data: Any, path: str, problems: list[tuple[str, str]]) -> Condition | None:
    if not isinstance(data, Mapping) or len(data) != 1:
        problems.append((path, "a condition is a mapping with exactly one key"))
        return None
    ((key, body),) = data.items()
    if key in ("all", "any"):
        if not isinstance(body, Sequence) or isinstance(body, str) or not body:
            problems.append((f"{path}.{key}", "expects a non-empty list of conditions"))
            return None
        items = [_parse(item, f"{path}.{key}[{i}]", problems) for i, item in enumerate(body)]
        parsed = tuple(item for item in items if item is not None)
        if len(parsed) != len(items):
            return None
        return All(parsed) if key == "all" else AnyOf(parsed)
    if key == "not":
        inner = _parse(body, f"{path}.not", problems)
        return Not(inner) if inner is not None else None
    if key not in FIELDS:
        known = ", ".join(["all", "any", "not", *FIELDS])
        problems.append((path, f"unknown field or combinator {key!r} (expected one of: {known})"))
        return None
    return _parse_field(key, body, f"{path}.{key}", problems)


def _parse_field(
    field: str, body: Any, path: str, problems: list[tuple[str, str]]
) -> Condition | None:
    spec = FIELDS[field]
    if not isinstance(body, Mapping) or not body:
        problems.append((path, "expects a mapping of operator to value, e.g. {eq: ...}"))
        return None
    tests: list[Condition] = []
    for operator, raw in body.items():
        if operator not in spec.operators:
            allowed = ", ".join(spec.operators)
            problems.append((path, f"operator {operator!r} does not apply (use: {allowed})"))
            continue
        value = _check_value(spec, operator, raw, f"{path}.{operator}", problems)
        if value is not _INVALID:
            tests.append(Test(field, operator, value))
    if len(tests) != len(body):
        return None
    return tests[0] if len(tests) == 1 else All(tuple(tests))


_INVALID = object()


def _check_value(
    spec: FieldSpec, operator: str, raw: Any, path: str, problems: list[tuple[str, str]]
) -> Any:
    if operator in _SET_OPERATORS:
        if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
            problems.append((path, "expects a non-empty list"))
            return _INVALID
        values = [_check_scalar(spec, item, f"{path}[{i}]", problems) for i, item in enumerate(raw)]
        if any(value is _INVALID for value in values):
            return _INVALID
        return frozenset(values)
    return _check_scalar(spec, raw, path, problems)


def _check_scalar(spec: FieldSpec, raw: Any, path: str, problems: list[tuple[str, str]]) -> Any:
    if spec.choices is not None:
        try:
            return spec.choices(raw)
        except ValueError:
            allowed = ", ".join(member.value for member in spec.choices)
            problems.append((path, f"{raw!r} is not one of: {allowed}"))
            return _INVALID
    if spec.kind == "boolean":
        if isinstance(raw, bool):
            return raw
        problems.append((path, f"expects true or false, got {raw!r}"))
        return _INVALID
    # integer and tier: whole numbers only (bool is an int in Python, and never meant here)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    problems.append((path, f"expects a non-negative whole number, got {raw!r}"))
    return _INVALID
