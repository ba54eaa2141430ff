"""Test once, comply many: proposing results through the library's mappings.

A result recorded on one requirement is proposed to the requirements it is mapped to in other
frameworks. The proposal is only a proposal: a person accepts or overrides it.

Reading a mapping
    A mapping reads ``source RELATIONSHIP target`` (NIST OLIR): ``equal`` (same scope),
    ``subset`` (the source is narrower than the target), ``superset`` (the source is broader),
    ``intersect`` (they overlap). Seen from the target's side the relationship inverts:
    ``a subset b`` is ``b superset a``; ``equal`` and ``intersect`` are symmetric. A result can
    therefore travel both ways along a mapping: from the source to the target with the
    relationship as written, and from the target to the source with its inverse.

What a result proposes
    Let *holder* be the requirement with the result and *receiver* the mapped requirement, and
    read the relationship as ``holder RELATIONSHIP receiver``.

    * ``equal`` or ``superset``: the holder covers at least the whole of the receiver, so the
      result is carried unchanged.
    * ``subset`` or ``intersect``: the holder covers only part of the receiver, so the result is
      capped at ``partially_compliant``: a compliant holder proposes partially compliant, a
      partially compliant one partially compliant, a non-compliant one non-compliant.
    * ``not_applicable`` and ``not_assessed`` never propagate: they say nothing about the
      controls of another requirement.

One hop through a shared framework
    Besides direct mappings, a holder reaches a receiver through one intermediate requirement of
    a third framework that both are mapped to (TWSE → NIST CSF 2.0 ← ISO/IEC 27001). The composed
    relationship is the weaker of the two: ``equal∘equal = equal``; ``equal`` or ``superset``
    followed by ``equal`` or ``superset`` stays ``superset`` (the holder covers the intermediate,
    which covers the receiver); ``equal`` or ``subset`` followed by ``equal`` or ``subset`` is
    ``subset``; anything else is ``intersect``. Anything that involves ``subset`` or ``intersect``
    therefore caps the result at partially compliant. Longer chains are not followed: each hop
    weakens what can be said, and two hops would mostly connect unrelated requirements.

    A holder and a receiver are never in the same framework, and the intermediate of a hop is in
    neither's framework. When a pair is connected in several ways, a direct mapping is used
    before any hop (its author judged that very pair; a hop is only inferred), and among several
    direct mappings or several hops the most informative relationship (``equal`` > ``superset``
    > ``subset`` > ``intersect``): each is a true statement about the pair and the narrower ones
    say more. Ties between hops are broken by the intermediate's id.

Several holders
    When several holders propose for one receiver, the most restrictive proposal wins
    (``non_compliant`` < ``partially_compliant`` < ``compliant``), and the provenance lists every
    contributor with its result, the relationship and the intermediate requirement, if any.

Everything here is plain data in and out, and the answer does not depend on the order of the
inputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from finres.core.vocab import Relationship


class Outcome(StrEnum):
    """The result of one requirement (the same values as the web application's)."""

    COMPLIANT = "compliant"
    PARTIAL = "partially_compliant"
    NON_COMPLIANT = "non_compliant"
    NOT_APPLICABLE = "not_applicable"
    NOT_ASSESSED = "not_assessed"


# Only these outcomes say something about another requirement; higher is better.
RANK: dict[Outcome, int] = {
    Outcome.NON_COMPLIANT: 0,
    Outcome.PARTIAL: 1,
    Outcome.COMPLIANT: 2,
}

# How much a relationship tells about a pair; higher says more.
_INFORMATIVE: dict[Relationship, int] = {
    Relationship.INTERSECT: 0,
    Relationship.SUBSET: 1,
    Relationship.SUPERSET: 2,
    Relationship.EQUAL: 3,
}


@dataclass(frozen=True, order=True)
class Ref:
    """A requirement: its framework's id and its own id within that framework."""

    framework: str
    requirement: str

    def __str__(self) -> str:
        return f"{self.framework}:{self.requirement}"


@dataclass(frozen=True)
class MappingEdge:
    """A mapping as written in the library: ``source RELATIONSHIP target``."""

    source: Ref
    target: Ref
    relationship: Relationship


@dataclass(frozen=True)
class Link:
    """How a holder reaches a receiver: ``holder RELATIONSHIP receiver``, perhaps via a hop."""

    holder: Ref
    receiver: Ref
    relationship: Relationship
    via: Ref | None = None


@dataclass(frozen=True)
class Contribution:
    """One holder's part in a proposal."""

    source: Ref
    result: Outcome
    relationship: Relationship  # source RELATIONSHIP target
    via: Ref | None
    proposed: Outcome


@dataclass(frozen=True)
class Proposal:
    target: Ref
    result: Outcome
    contributions: tuple[Contribution, ...]


def invert(relationship: Relationship) -> Relationship:
    """The relationship read from the other end: subset ↔ superset."""
    if relationship is Relationship.SUBSET:
        return Relationship.SUPERSET
    if relationship is Relationship.SUPERSET:
        return Relationship.SUBSET
    return relationship


def compose(first: Relationship, second: Relationship) -> Relationship:
    """``a first b`` and ``b second c`` give ``a composed c`` (the weaker of the two)."""
    if first is Relationship.EQUAL:
        return second
    if second is Relationship.EQUAL:
        return first
    if first is second and first in (Relationship.SUBSET, Relationship.SUPERSET):
        return first
    return Relationship.INTERSECT


def carries(relationship: Relationship) -> bool:
    """Whether the holder covers the whole receiver, so that its result carries unchanged."""
    return relationship in (Relationship.EQUAL, Relationship.SUPERSET)


def proposed_outcome(result: Outcome, relationship: Relationship) -> Outcome | None:
    """What a holder's ``result`` proposes for a receiver (``holder relationship receiver``)."""
    if result not in RANK:
        return None
    if carries(relationship) or result is not Outcome.COMPLIANT:
        return result
    return Outcome.PARTIAL


def most_restrictive(outcomes: Iterable[Outcome]) -> Outcome:
    return min(outcomes, key=RANK.__getitem__)


def _link_key(link: Link) -> tuple[bool, int, str]:
    """Orders the links of one pair: a direct mapping before a hop, the most informative first,
    then by intermediate (so that the choice never depends on the input order)."""
    via = "" if link.via is None else str(link.via)
    return (link.via is not None, -_INFORMATIVE[link.relationship], via)


def links(
    edges: Iterable[MappingEdge],
    holders: Collection[Ref],
    receivers: Collection[Ref] | None = None,
    hops: bool = True,
) -> dict[tuple[Ref, Ref], Link]:
    """The best link from each holder to each receiver it reaches, directly or in one hop.

    ``receivers`` restricts the answer (``None``: any requirement of another framework).
    """
    holder_set = set(holders)
    receiver_set = None if receivers is None else set(receivers)
    # Every mapping from both ends: node -> [(other end, node RELATIONSHIP other)].
    neighbours: dict[Ref, set[tuple[Ref, Relationship]]] = defaultdict(set)
    for edge in edges:
        if edge.source == edge.target:
            continue
        neighbours[edge.source].add((edge.target, edge.relationship))
        neighbours[edge.target].add((edge.source, invert(edge.relationship)))

    def wanted(holder: Ref, receiver: Ref) -> bool:
        if receiver.framework == holder.framework:
            return False
        return receiver_set is None or receiver in receiver_set

    best: dict[tuple[Ref, Ref], Link] = {}

    def offer(link: Link) -> None:
        key = (link.holder, link.receiver)
        current = best.get(key)
        if current is None or _link_key(link) < _link_key(current):
            best[key] = link

    for holder in holder_set:
        for middle, first in neighbours.get(holder, ()):
            if wanted(holder, middle):
                offer(Link(holder, middle, first))
            if not hops:
                continue
            for receiver, second in neighbours.get(middle, ()):
                if middle.framework == receiver.framework or not wanted(holder, receiver):
                    continue
                offer(Link(holder, receiver, compose(first, second), middle))
    return best


def propose(
    results: Mapping[Ref, Outcome],
    edges: Iterable[MappingEdge],
    receivers: Collection[Ref] | None = None,
    hops: bool = True,
) -> dict[Ref, Proposal]:
    """Proposed results for the requirements mapped to those in ``results``.

    ``results`` holds the recorded results (holder → outcome); the answer holds one proposal
    per receiver that at least one holder proposes something for.
    """
    holders = [ref for ref, outcome in results.items() if outcome in RANK]
    contributions: dict[Ref, list[Contribution]] = defaultdict(list)
    for link in links(edges, holders, receivers, hops).values():
        result = results[link.holder]
        proposed = proposed_outcome(result, link.relationship)
        if proposed is None:  # pragma: no cover - holders were filtered above
            continue
        contributions[link.receiver].append(
            Contribution(link.holder, result, link.relationship, link.via, proposed)
        )
    return {
        target: Proposal(
            target,
            most_restrictive(c.proposed for c in found),
            tuple(sorted(found, key=_contribution_key)),
        )
        for target, found in contributions.items()
    }


def combine(contributions: Iterable[Contribution]) -> Outcome | None:
    """The proposal several contributions make together (None when there are none)."""
    proposed = [c.proposed for c in contributions]
    return most_restrictive(proposed) if proposed else None


def _contribution_key(contribution: Contribution) -> tuple[Ref, str]:
    via = contribution.via
    return (contribution.source, "" if via is None else str(via))
