"""The applicability rule form: declarative conditions on an institution's profile.

A condition is plain data (as written in YAML)::

    condition := {all: [condition, ...]}
               | {any: [condition, ...]}
               | {not: condition}
               | {FIELD: {OPERATOR: VALUE, ...}}      # every operator must hold

Fields, their operators and allowed values are listed in ``FIELDS``. Conditions are parsed once
into immutable objects (``parse``), which checks every field, operator and value and reports
every problem with its path; evaluation (``Condition.holds``) never raises. There is no
``eval``: this module is the whole interpreter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from finres.core.vocab import Industry, Use

Facts = Mapping[str, Any]


class Condition(Protocol):
    def holds(self, facts: Facts) -> bool: ...

    def to_data(self) -> Any: ...

    def fields(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]

    def holds(self, facts: Facts) -> bool:
        return all(item.holds(facts) for item in self.items)

    def to_data(self) -> Any:
        return {"all": [item.to_data() for item in self.items]}

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(item.fields() for item in self.items))


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]

    def holds(self, facts: Facts) -> bool:
        return any(item.holds(facts) for item in self.items)

    def to_data(self) -> Any:
        return {"any": [item.to_data() for item in self.items]}

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(item.fields() for item in self.items))


@dataclass(frozen=True)
class Not:
    item: Condition

    def holds(self, facts: Facts) -> bool:
        return not self.item.holds(facts)

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
        spec = FIELDS[self.field]
        return spec.operators[self.operator](facts.get(self.field), self.value)

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
