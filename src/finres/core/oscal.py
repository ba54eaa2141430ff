"""Export a framework as an OSCAL 1.2.1 catalogue.

Grouping nodes become OSCAL groups and assessable requirements become controls. OSCAL lets a
group hold either sub-groups or controls, not both, so where a grouping node sits beside
requirements it is exported as a control (prop ``assessable`` = ``false``) to keep the tree.
The original wording is the control's statement; the other language goes in a ``translation``
part. FinRes-specific attributes are props in the FinRes namespace.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import uuid
from typing import Any

from finres.core.library.index import Library
from finres.core.library.schema import Framework, Language, LocalizedText, RequirementNode

OSCAL_VERSION = "1.2.1"
NAMESPACE = "urn:finres:oscal"
_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, NAMESPACE)


def _uuid(*parts: str) -> str:
    # Deterministic (type 5) so that exporting the same library twice gives the same document.
    return str(uuid.uuid5(_UUID_NAMESPACE, "/".join(parts)))


def _prop(name: str, value: object, ns: str | None = NAMESPACE) -> dict[str, Any]:
    prop: dict[str, Any] = {"name": name, "value": str(value)}
    if ns:
        prop["ns"] = ns
    return prop


def _token(node_id: str) -> str:
    # Part ids must be tokens; node ids already are (letter first, then [A-Za-z0-9._-]).
    return node_id


class _Exporter:
    def __init__(self, library: Library, framework: Framework) -> None:
        self.library = library
        self.framework = framework
        self.original: Language = framework.source_language
        self.other: Language = "en" if self.original == "zh-TW" else "zh-TW"

    def text_parts(self, node: RequirementNode) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        base = _token(node.id)
        if node.text is not None:
            parts.append(self.prose_part(f"{base}_smt", "statement", node.text, ns=None))
        if node.guidance is not None:
            parts.append(self.prose_part(f"{base}_gdn", "guidance", node.guidance, ns=None))
        for i, example in enumerate(node.examples, start=1):
            parts.append(self.prose_part(f"{base}_ex{i}", "example", example, ns=None))
        for i, evidence in enumerate(node.typical_evidence, start=1):
            parts.append(self.prose_part(f"{base}_ev{i}", "typical-evidence", evidence))
        for level, description in sorted(node.maturity.items()):
            part = self.prose_part(f"{base}_lvl{level}", "maturity-level", description)
            part["props"].append(_prop("level", level))
            parts.append(part)
        if node.notes is not None:
            parts.append(self.prose_part(f"{base}_nts", "notes", node.notes))
        return parts

    def prose_part(
        self, part_id: str, name: str, text: LocalizedText, ns: str | None = NAMESPACE
    ) -> dict[str, Any]:
        part: dict[str, Any] = {"id": part_id, "name": name}
        if ns:
            part["ns"] = ns
        part["props"] = [_prop("lang", self.original)]
        part["prose"] = text.best(self.original)
        translated = text.get(self.other)
        if translated:
            part["parts"] = [
                {
                    "id": f"{part_id}_tr",
                    "name": "translation",
                    "ns": NAMESPACE,
                    "props": [_prop("lang", self.other)],
                    "prose": translated,
                }
            ]
        return part

    def props(self, node: RequirementNode, position: int) -> list[dict[str, Any]]:
        props = []
        if node.ref:
            props.append(_prop("label", node.ref, ns=None))
        props.append(_prop("sort-id", f"{self.framework.id}-{position:05d}", ns=None))
        props.append(_prop("assessable", str(node.assessable).lower()))
        title_other = node.title.get(self.other)
        if title_other:
            props.append(_prop(f"title-{self.other}", title_other))
        if node.obligation:
            props.append(_prop("obligation", node.obligation.value))
        if node.scope:
            props.append(_prop("scope", node.scope.value))
        for tier in node.tiers or ():
            props.append(_prop("tier", tier))
        for unit in node.executing_units or ():
            props.append(_prop("executing-unit", unit.value))
        if node.applies_when is not None:
            props.append(
                _prop(
                    "applies-when",
                    json.dumps(node.applies_when.to_data(), ensure_ascii=False, sort_keys=True),
                )
            )
        if node.effective_from:
            props.append(_prop("effective-from", node.effective_from.isoformat()))
        if node.due_by:
            props.append(_prop("due-by", node.due_by.isoformat()))
        if node.timeframe:
            props.append(_prop("timeframe", node.timeframe.best(self.original)))
        if node.lineage:
            props.append(_prop("lineage", node.lineage.value))
        props.extend(_prop("tag", tag) for tag in node.tags)
        return props

    def build(self, node: RequirementNode, as_control: bool, counter: list[int]) -> dict[str, Any]:
        counter[0] += 1
        entry: dict[str, Any] = {"id": _token(node.id)}
        if node.kind:
            entry["class"] = node.kind
        entry["title"] = node.title.best(self.original)
        entry["props"] = self.props(node, counter[0])
        parts = self.text_parts(node)
        if parts:
            entry["parts"] = parts
        children = self.library.children(self.framework.id, node.id)
        if as_control:
            if children:
                entry["controls"] = [self.build(child, True, counter) for child in children]
        elif children:
            key, subs = self.members(children, counter)
            entry[key] = subs
        return entry

    def members(
        self, nodes: list[RequirementNode], counter: list[int]
    ) -> tuple[str, list[dict[str, Any]]]:
        """A group's members: all groups, or (if any node is assessable) all controls."""
        if any(node.assessable for node in nodes):
            return "controls", [self.build(node, True, counter) for node in nodes]
        return "groups", [self.build(node, False, counter) for node in nodes]

    def catalog(self) -> dict[str, Any]:
        fw = self.framework
        published = dt.datetime.combine(fw.published, dt.time(), tzinfo=dt.UTC)
        metadata: dict[str, Any] = {
            "title": fw.name.best(self.original),
            "published": published.isoformat().replace("+00:00", "Z"),
            # The content changes only with a new edition, so the edition's date is used and the
            # export stays reproducible.
            "last-modified": published.isoformat().replace("+00:00", "Z"),
            "version": fw.version,
            "oscal-version": OSCAL_VERSION,
            "props": [
                _prop("framework-id", fw.id),
                _prop("kind", fw.kind.value),
                _prop("binding", str(fw.binding).lower()),
                _prop("source-language", self.original),
            ],
            "parties": [
                {
                    "uuid": _uuid(fw.id, "publisher"),
                    "type": "organization",
                    "name": fw.publisher.best(self.original),
                }
            ],
            "remarks": fw.copyright.best(self.original),
        }
        if fw.name.get(self.other):
            metadata["props"].append(_prop(f"title-{self.other}", fw.name.get(self.other)))
        counter = [0]
        catalog: dict[str, Any] = {"uuid": _uuid(fw.id, fw.version), "metadata": metadata}
        roots = self.library.children(fw.id, None)
        groups = [self.build(node, False, counter) for node in roots if not node.assessable]
        controls = [self.build(node, True, counter) for node in roots if node.assessable]
        if groups:
            catalog["groups"] = groups
        if controls:
            catalog["controls"] = controls
        resource: dict[str, Any] = {
            "uuid": _uuid(fw.id, "source"),
            "title": fw.source.title.best(self.original),
        }
        if fw.source.reference:
            resource["citation"] = {"text": fw.source.reference}
        if fw.source.url:
            # OSCAL wants a URI: percent-encode what an IRI may hold (e.g. Chinese file names).
            href = urllib.parse.quote(fw.source.url, safe=":/?#[]@!$&'()*+,;=%~")
            resource["rlinks"] = [{"href": href}]
        catalog["back-matter"] = {"resources": [resource]}
        return {"catalog": catalog}


def export_catalog(library: Library, framework_id: str) -> dict[str, Any]:
    """The framework as an OSCAL catalogue document (plain JSON-ready data)."""
    return _Exporter(library, library.framework(framework_id)).catalog()
