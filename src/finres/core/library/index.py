"""The loaded library: frameworks, their trees and the mappings between them, indexed for lookup."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from finres.core.library.schema import Framework, Mapping, MappingSet, RequirementNode, TierRule
from finres.core.vocab import Industry


class UnknownFrameworkError(KeyError):
    def __init__(self, framework_id: str, known: Sequence[str]) -> None:
        self.framework_id = framework_id
        self.known = list(known)
        super().__init__(framework_id)

    def __str__(self) -> str:
        return f"unknown framework {self.framework_id!r} (known: {', '.join(self.known)})"


@dataclass(frozen=True)
class MappingLink:
    """A mapping seen from one end, with the set it belongs to."""

    mapping_set: MappingSet
    mapping: Mapping


class Library:
    """An immutable, validated set of frameworks and mapping sets."""

    def __init__(self, frameworks: Sequence[Framework], mapping_sets: Sequence[MappingSet]) -> None:
        self.frameworks: dict[str, Framework] = {fw.id: fw for fw in frameworks}
        self.mapping_sets: list[MappingSet] = list(mapping_sets)
        self._nodes: dict[tuple[str, str], RequirementNode] = {}
        self._children: dict[tuple[str, str | None], list[RequirementNode]] = defaultdict(list)
        for framework in frameworks:
            for node in framework.requirements:
                self._nodes[(framework.id, node.id)] = node
                self._children[(framework.id, node.parent)].append(node)
        self._outgoing: dict[tuple[str, str], list[MappingLink]] = defaultdict(list)
        self._incoming: dict[tuple[str, str], list[MappingLink]] = defaultdict(list)
        for mapping_set in self.mapping_sets:
            for mapping in mapping_set.mappings:
                link = MappingLink(mapping_set, mapping)
                self._outgoing[(mapping_set.source_framework, mapping.source)].append(link)
                self._incoming[(mapping_set.target_framework, mapping.target)].append(link)

    def framework(self, framework_id: str) -> Framework:
        try:
            return self.frameworks[framework_id]
        except KeyError:
            raise UnknownFrameworkError(framework_id, sorted(self.frameworks)) from None

    def node(self, framework_id: str, node_id: str) -> RequirementNode:
        return self._nodes[(framework_id, node_id)]

    def children(self, framework_id: str, node_id: str | None) -> list[RequirementNode]:
        """The nodes directly below ``node_id`` (the roots for ``None``), in file order."""
        return self._children.get((framework_id, node_id), [])

    def ancestors(self, framework_id: str, node: RequirementNode) -> Iterator[RequirementNode]:
        """The node's ancestors, nearest first."""
        parent = node.parent
        while parent is not None:
            ancestor = self._nodes[(framework_id, parent)]
            yield ancestor
            parent = ancestor.parent

    def assessable(self, framework_id: str) -> list[RequirementNode]:
        return [node for node in self.framework(framework_id).requirements if node.assessable]

    def tier_rule_for(self, industry: Industry) -> tuple[Framework, TierRule] | None:
        for framework in self.frameworks.values():
            rule = framework.tier_rule
            if rule is not None and industry in rule.industries:
                return framework, rule
        return None

    def mappings_from(self, framework_id: str, node_id: str) -> list[MappingLink]:
        return self._outgoing.get((framework_id, node_id), [])

    def mappings_to(self, framework_id: str, node_id: str) -> list[MappingLink]:
        return self._incoming.get((framework_id, node_id), [])
