"""Maturity: labelled levels, roll-ups per framework and per NIST CSF 2.0 function, targets by
tier, and the comparison of one period with the previous one.

Blueprint measure 6 (目標導向，銜接防護基準與典範實務) asks for maturity indicators that take the
existing rules as the baseline and best practice as the goal, so that supervision becomes
"measurable, growable, differentiable" (可量測、可成長、可差異化). The default scale follows it:
level 1 is the protection baseline (the minimum compliance requirements), level 5 best practice;
the levels between take the names of the FFIEC Cybersecurity Assessment Tool, which the FSC
adapted for its earlier maturity assessment. A framework that defines its own
``maturity_levels`` (the zero-trust model: traditional, initial, advanced, optimal) is scored on
its own scale.

Roll-up rules (all means use ``math.fsum``, so the result never depends on input order):

- **Per framework**: the mean of the assessed levels on the framework's scale, the share of
  assessed requirements at or above the target, and the distribution over the scale's levels.
  Levels outside the scale are counted apart (``out_of_scale``) and left out of every score.
- **Per NIST CSF 2.0 function**, through the library's mappings. Each assessed level is first
  placed on the default 1–5 scale (linearly, so a framework's top level counts as best practice).
  A result contributes to every CSF subcategory its requirement maps to, following mapping
  chains (an action-plan item mapped to a blueprint measure mapped to CSF) with a weight per
  relationship: ``equal`` and ``superset`` 1 (the requirement covers the whole subcategory),
  ``subset`` and ``intersect`` 1/2 (it covers part of it); along a chain the weights multiply and
  the strongest chain counts. A result recorded on a CSF subcategory itself counts with weight 1.
  A subcategory's score is the weighted mean of its contributions; a category's the plain mean of
  its scored subcategories; a function's the plain mean of its scored categories. Averaging level
  by level keeps a framework with many mappings into one subcategory from outweighing the rest of
  its category, and a part of the CSF nobody assessed stays unscored (``None``) instead of 0.
- **Targets** are set per framework and may differ by tier (a row for the institution's tier wins
  over a row for any tier). The CSF target of a function is the same roll-up with every
  contribution replaced by its framework's target: the score the institution would have if every
  requirement reached its target.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from finres.core.i18n import LANGUAGES, N_, Language, gettext_for
from finres.core.library.index import Library
from finres.core.library.schema import MaturityLevel as LibraryMaturityLevel
from finres.core.vocab import Relationship

CSF_FRAMEWORK_ID: Final = "nist-csf-2.0"

RELATIONSHIP_WEIGHTS: Final[Mapping[Relationship, float]] = {
    Relationship.EQUAL: 1.0,
    Relationship.SUPERSET: 1.0,
    Relationship.SUBSET: 0.5,
    Relationship.INTERSECT: 0.5,
}

# --- scales -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One level of a scale, with its title (and description) in every language."""

    value: int
    key: str
    titles: Mapping[Language, str]
    descriptions: Mapping[Language, str] = field(default_factory=dict)

    def title(self, language: Language) -> str:
        return self.titles.get(language) or next(iter(self.titles.values()), str(self.value))

    def description(self, language: Language) -> str:
        return self.descriptions.get(language) or next(iter(self.descriptions.values()), "")


class ScaleError(ValueError):
    pass


@dataclass(frozen=True)
class Scale:
    """Ordered maturity levels (at least two, distinct values, ascending)."""

    levels: tuple[Level, ...]

    def __post_init__(self) -> None:
        values = [level.value for level in self.levels]
        if len(values) < 2:
            raise ScaleError("a maturity scale needs at least two levels")
        if values != sorted(set(values)):
            raise ScaleError(f"maturity levels must be distinct and ascending: {values}")

    @property
    def minimum(self) -> int:
        return self.levels[0].value

    @property
    def maximum(self) -> int:
        return self.levels[-1].value

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.levels)

    def __contains__(self, value: object) -> bool:
        return value in self.values

    def level(self, value: int) -> Level:
        for level in self.levels:
            if level.value == value:
                return level
        raise ScaleError(f"level {value} is not on the scale {self.minimum}–{self.maximum}")

    def label(self, value: int, language: Language) -> str:
        return f"{value} {self.level(value).title(language)}"

    def fraction(self, value: float) -> float:
        """Where ``value`` sits between the bottom (0) and the top (1) of the scale."""
        return (value - self.minimum) / (self.maximum - self.minimum)

    def to_default(self, value: float) -> float:
        """``value`` placed on the default 1–5 scale (bottom to bottom, top to top)."""
        return DEFAULT_MINIMUM + self.fraction(value) * (DEFAULT_MAXIMUM - DEFAULT_MINIMUM)


_DEFAULT_LEVELS: Final[tuple[tuple[int, str, str, str], ...]] = (
    (
        1,
        "baseline",
        N_("Baseline compliance"),
        N_("Meets the common protection baseline: the minimum compliance requirements."),
    ),
    (
        2,
        "evolving",
        N_("Evolving"),
        N_(
            "Goes beyond the baseline: practices are documented and applied consistently in the "
            "main areas."
        ),
    ),
    (
        3,
        "intermediate",
        N_("Intermediate"),
        N_("Practices are risk-based, measured and reviewed across the institution."),
    ),
    (
        4,
        "advanced",
        N_("Advanced"),
        N_(
            "Practices are built into business decisions, monitored continuously and improved "
            "from their results."
        ),
    ),
    (
        5,
        "best-practice",
        N_("Best practice"),
        N_(
            "The goal of goal-oriented governance: leading practice that can serve the sector as "
            "a reference."
        ),
    ),
)
DEFAULT_MINIMUM: Final = _DEFAULT_LEVELS[0][0]
DEFAULT_MAXIMUM: Final = _DEFAULT_LEVELS[-1][0]


@functools.cache
def default_scale() -> Scale:
    """Levels 1–5 from baseline compliance (防護基準) to best practice (典範實務)."""
    levels = []
    for value, key, title, description in _DEFAULT_LEVELS:
        titles = {language: gettext_for(language).gettext(title) for language in LANGUAGES}
        descriptions = {
            language: gettext_for(language).gettext(description) for language in LANGUAGES
        }
        levels.append(Level(value, key, titles, descriptions))
    return Scale(tuple(levels))


def scale_from_library(levels: Sequence[LibraryMaturityLevel | Mapping[str, Any]]) -> Scale:
    """A framework's own scale (its ``maturity_levels``), or the default one when it has none.

    Accepts the library's models or their JSON form (as the web app stores them).
    """
    if not levels:
        return default_scale()
    parsed = [
        item
        if isinstance(item, LibraryMaturityLevel)
        else LibraryMaturityLevel.model_validate(item)
        for item in levels
    ]
    return Scale(
        tuple(
            Level(
                level.level,
                level.id,
                {language: level.title.best(language) for language in LANGUAGES},
                (
                    {language: level.description.best(language) for language in LANGUAGES}
                    if level.description
                    else {}
                ),
            )
            for level in sorted(parsed, key=lambda item: item.level)
        )
    )


# --- targets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The level aimed for in a framework; ``tier`` None means whatever the tier."""

    framework: str
    tier: int | None
    level: int


def target_for(targets: Iterable[Target], framework: str, tier: int | None) -> int | None:
    """The target for ``framework`` at ``tier``: the tier's own row first, then the any-tier row."""
    general: int | None = None
    for target in targets:
        if target.framework != framework:
            continue
        if target.tier is not None and target.tier == tier:
            return target.level
        if target.tier is None:
            general = target.level
    return general


# --- per framework ------------------------------------------------------------------------------


def _mean(weighted: Iterable[tuple[float, float]]) -> float | None:
    """Weighted mean of (value, weight) pairs; None when there is nothing to average."""
    pairs = list(weighted)
    total = math.fsum(weight for _, weight in pairs)
    if not pairs or total <= 0:
        return None
    return math.fsum(value * weight for value, weight in pairs) / total


@dataclass(frozen=True)
class FrameworkMaturity:
    framework: str
    scale: Scale
    distribution: Mapping[int, int]  # every level of the scale -> how many requirements
    target: int | None
    out_of_scale: int = 0  # recorded levels that are not on the scale (left out of the scores)

    @property
    def assessed(self) -> int:
        return sum(self.distribution.values())

    @property
    def mean(self) -> float | None:
        return _mean((float(level), float(count)) for level, count in self.distribution.items())

    @property
    def at_target(self) -> int | None:
        if self.target is None:
            return None
        return sum(count for level, count in self.distribution.items() if level >= self.target)

    @property
    def share_at_target(self) -> float | None:
        at_target = self.at_target
        if at_target is None or not self.assessed:
            return None
        return at_target / self.assessed

    @property
    def normalised_mean(self) -> float | None:
        """The mean on the default 1–5 scale, to compare frameworks with different scales."""
        mean = self.mean
        return None if mean is None else self.scale.to_default(mean)


def framework_maturity(
    framework: str,
    scale: Scale,
    counts: Mapping[int, int] | Iterable[int],
    target: int | None = None,
) -> FrameworkMaturity:
    """Roll up one framework's assessed levels (given one by one, or as level -> count)."""
    tally: dict[int, int] = dict.fromkeys(scale.values, 0)
    out_of_scale = 0
    items = counts.items() if isinstance(counts, Mapping) else ((level, 1) for level in counts)
    for level, count in items:
        if count < 0:
            raise ValueError(f"negative count for level {level}")
        if level in tally:
            tally[level] += count
        else:
            out_of_scale += count
    if target is not None and target not in scale:
        raise ScaleError(f"target {target} is not on the scale {scale.minimum}–{scale.maximum}")
    return FrameworkMaturity(framework, scale, tally, target, out_of_scale)


# --- NIST CSF 2.0 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsfTree:
    """The CSF hierarchy: functions -> categories -> subcategories, in library order."""

    functions: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]  # function -> its categories
    subcategories: Mapping[str, tuple[str, ...]]  # category -> its subcategories
    titles: Mapping[str, Mapping[str, str]]  # node -> language -> title

    def title(self, node: str, language: Language) -> str:
        titles = self.titles.get(node, {})
        return titles.get(language) or next(iter(titles.values()), node)

    @property
    def all_subcategories(self) -> frozenset[str]:
        return frozenset(s for subs in self.subcategories.values() for s in subs)


def csf_tree(library: Library, framework_id: str = CSF_FRAMEWORK_ID) -> CsfTree:
    """Read the three levels of the CSF from the library: roots, their children, theirs."""
    functions = library.children(framework_id, None)
    categories: dict[str, tuple[str, ...]] = {}
    subcategories: dict[str, tuple[str, ...]] = {}
    titles: dict[str, dict[str, str]] = {}
    for function in functions:
        titles[function.id] = {lang: function.title.best(lang) for lang in LANGUAGES}
        children = library.children(framework_id, function.id)
        categories[function.id] = tuple(category.id for category in children)
        for category in children:
            titles[category.id] = {lang: category.title.best(lang) for lang in LANGUAGES}
            subs = library.children(framework_id, category.id)
            subcategories[category.id] = tuple(sub.id for sub in subs)
            for sub in subs:
                titles[sub.id] = {lang: sub.title.best(lang) for lang in LANGUAGES}
    return CsfTree(tuple(f.id for f in functions), categories, subcategories, titles)


Key = tuple[str, str]  # (framework id, requirement id)


@dataclass(frozen=True)
class Link:
    subcategory: str
    weight: float


def csf_links(
    library: Library, tree: CsfTree, framework_id: str = CSF_FRAMEWORK_ID
) -> dict[Key, tuple[Link, ...]]:
    """For every requirement that reaches the CSF, the subcategories it reaches and how strongly.

    Mapping chains are followed breadth-first; a requirement reached twice keeps its strongest
    chain, and a cycle ends where it meets a requirement already visited.
    """
    subcategories = tree.all_subcategories
    links: dict[Key, tuple[Link, ...]] = {
        (framework_id, sub): (Link(sub, 1.0),) for sub in sorted(subcategories)
    }
    sources: set[Key] = {
        (mapping_set.source_framework, mapping.source)
        for mapping_set in library.mapping_sets
        for mapping in mapping_set.mappings
    }
    for start in sorted(sources):
        if start[0] == framework_id:
            continue
        best: dict[str, float] = {}
        strength: dict[Key, float] = {start: 1.0}
        frontier = [start]
        while frontier:
            reached: list[Key] = []
            for key in frontier:
                for link in library.mappings_from(*key):
                    weight = strength[key] * RELATIONSHIP_WEIGHTS[link.mapping.relationship]
                    target = (link.mapping_set.target_framework, link.mapping.target)
                    if target[0] == framework_id:
                        if target[1] in subcategories:
                            best[target[1]] = max(best.get(target[1], 0.0), weight)
                        continue
                    if weight > strength.get(target, 0.0):
                        strength[target] = weight
                        reached.append(target)
            frontier = reached
        if best:
            links[start] = tuple(Link(sub, weight) for sub, weight in sorted(best.items()))
    return links


@dataclass(frozen=True)
class CsfRollup:
    subcategories: Mapping[str, float]  # only the scored ones
    categories: Mapping[str, float | None]
    functions: Mapping[str, float | None]
    contributions: Mapping[str, int]  # subcategory -> how many results count towards it

    @property
    def overall(self) -> float | None:
        """The plain mean of the scored functions."""
        return _mean((value, 1.0) for value in self.functions.values() if value is not None)

    def coverage(self, tree: CsfTree) -> float:
        """The share of CSF subcategories that received at least one result."""
        total = len(tree.all_subcategories)
        return len(self.subcategories) / total if total else 0.0


def csf_rollup(
    values: Mapping[Key, float],
    links: Mapping[Key, Sequence[Link]],
    tree: CsfTree,
) -> CsfRollup:
    """Roll values on the default scale (see ``default_values``) up to the CSF functions."""
    per_subcategory: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for key, value in values.items():
        for link in links.get(key, ()):
            per_subcategory[link.subcategory].append((value, link.weight))
    subcategory_scores: dict[str, float] = {}
    for subcategory, pairs in per_subcategory.items():
        score = _mean(pairs)
        if score is not None:
            subcategory_scores[subcategory] = score
    category_scores: dict[str, float | None] = {}
    function_scores: dict[str, float | None] = {}
    for function in tree.functions:
        for category in tree.categories.get(function, ()):
            scored = [
                (subcategory_scores[s], 1.0)
                for s in tree.subcategories.get(category, ())
                if s in subcategory_scores
            ]
            category_scores[category] = _mean(scored)
        function_scores[function] = _mean(
            (score, 1.0)
            for category in tree.categories.get(function, ())
            if (score := category_scores[category]) is not None
        )
    return CsfRollup(
        subcategory_scores,
        category_scores,
        function_scores,
        {s: len(pairs) for s, pairs in per_subcategory.items()},
    )


def default_values(levels: Mapping[Key, float], scales: Mapping[str, Scale]) -> dict[Key, float]:
    """Levels placed on the default scale, each through its framework's scale.

    A level outside its framework's scale is left out (as in ``framework_maturity``); a framework
    without a scale in ``scales`` uses the default one.
    """
    placed: dict[Key, float] = {}
    for key, level in levels.items():
        scale = scales.get(key[0]) or default_scale()
        if scale.minimum <= level <= scale.maximum:
            placed[key] = scale.to_default(level)
    return placed


def target_values(
    keys: Iterable[Key],
    targets: Iterable[Target],
    tier: int | None,
    scales: Mapping[str, Scale],
) -> dict[Key, float]:
    """Each requirement's framework target on the default scale (none if it has no target)."""
    targets = list(targets)
    by_framework: dict[str, int | None] = {}
    placed: dict[Key, float] = {}
    for key in keys:
        if key[0] not in by_framework:
            by_framework[key[0]] = target_for(targets, key[0], tier)
        target = by_framework[key[0]]
        if target is not None:
            scale = scales.get(key[0]) or default_scale()
            placed[key] = scale.to_default(target)
    return placed


# --- comparison ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delta:
    key: str
    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


def compare(
    current: Mapping[str, float | None], previous: Mapping[str, float | None]
) -> list[Delta]:
    """Period against period, key by key (current keys first, then keys only in the previous)."""
    keys = list(current) + [key for key in previous if key not in current]
    return [Delta(key, current.get(key), previous.get(key)) for key in keys]
