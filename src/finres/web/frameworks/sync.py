"""Copy the validated library into the database, in one transaction, in bulk."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction

from finres.core.library import Library
from finres.core.library.schema import Framework as FrameworkModel
from finres.core.library.schema import RequirementNode
from finres.web.frameworks.models import Framework, Mapping, Requirement


@dataclass
class SyncReport:
    frameworks_created: list[str] = field(default_factory=list)
    frameworks_updated: list[str] = field(default_factory=list)
    frameworks_unchanged: list[str] = field(default_factory=list)
    requirements_created: int = 0
    requirements_updated: int = 0
    requirements_deactivated: int = 0
    mappings: int = 0


def _hash(framework: FrameworkModel) -> str:
    data = framework.model_dump(mode="json", by_alias=True)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _fields(node: RequirementNode, position: int) -> dict[str, object]:
    return {
        "position": position,
        "kind": node.kind or "",
        "ref": node.ref or "",
        "title_zh": node.title.zh_tw or "",
        "title_en": node.title.en or "",
        "text_zh": (node.text.zh_tw or "") if node.text else "",
        "text_en": (node.text.en or "") if node.text else "",
        "assessable": node.assessable,
        "obligation": node.obligation.value if node.obligation else "",
        "scope": node.scope.value if node.scope else "",
        "tiers": node.tiers,
        "effective_from": node.effective_from,
        "due_by": node.due_by,
        "data": node.model_dump(mode="json", by_alias=True, exclude_none=True),
        "active": True,
    }


@transaction.atomic
def sync_library(library: Library) -> SyncReport:
    report = SyncReport()
    for fw in library.frameworks.values():
        content_hash = _hash(fw)
        row = Framework.objects.filter(code=fw.id).first()
        if row is not None and row.content_hash == content_hash and row.active:
            report.frameworks_unchanged.append(fw.id)
            continue
        values = {
            "name_zh": fw.name.zh_tw or "",
            "name_en": fw.name.en or "",
            "version": fw.version,
            "kind": fw.kind.value,
            "binding": fw.binding,
            "source_language": fw.source_language,
            "published": fw.published,
            "content_hash": content_hash,
            "active": True,
            "maturity_levels": [
                m.model_dump(mode="json", by_alias=True) for m in fw.maturity_levels
            ],
        }
        if row is None:
            row = Framework.objects.create(code=fw.id, **values)
            report.frameworks_created.append(fw.id)
        else:
            Framework.objects.filter(pk=row.pk).update(**values)
            report.frameworks_updated.append(fw.id)
        _sync_requirements(row, fw, report)
    # Mappings are cheap to rebuild and have no dependants.
    Mapping.objects.all().delete()
    ids = {
        (r.framework.code, r.code): r.pk for r in Requirement.objects.select_related("framework")
    }
    rows = [
        Mapping(
            mapping_set=ms.id,
            source_id=ids[(ms.source_framework, m.source)],
            target_id=ids[(ms.target_framework, m.target)],
            relationship=m.relationship.value,
            rationale_zh=m.rationale.zh_tw or "",
            rationale_en=m.rationale.en or "",
        )
        for ms in library.mapping_sets
        for m in ms.mappings
    ]
    Mapping.objects.bulk_create(rows, batch_size=1000)
    report.mappings = len(rows)
    return report


def _sync_requirements(row: Framework, fw: FrameworkModel, report: SyncReport) -> None:
    existing = {r.code: r for r in Requirement.objects.filter(framework=row)}
    seen: set[str] = set()
    to_create: list[Requirement] = []
    to_update: list[Requirement] = []
    for position, node in enumerate(fw.requirements):
        seen.add(node.id)
        values = _fields(node, position)
        current = existing.get(node.id)
        if current is None:
            to_create.append(Requirement(framework=row, code=node.id, **values))
        else:
            for key, value in values.items():
                setattr(current, key, value)
            to_update.append(current)
    Requirement.objects.bulk_create(to_create, batch_size=500)
    update_fields = list(_fields(fw.requirements[0], 0))
    Requirement.objects.bulk_update(to_update, update_fields, batch_size=500)
    gone = [r.pk for code, r in existing.items() if code not in seen]
    report.requirements_deactivated += Requirement.objects.filter(pk__in=gone).update(active=False)
    report.requirements_created += len(to_create)
    report.requirements_updated += len(to_update)
    # Parents last, once every node of the framework has a row.
    by_code = {r.code: r for r in Requirement.objects.filter(framework=row)}
    changed = []
    for node in fw.requirements:
        child = by_code[node.id]
        parent_id = by_code[node.parent].pk if node.parent else None
        if child.parent_id != parent_id:
            child.parent_id = parent_id
            changed.append(child)
    Requirement.objects.bulk_update(changed, ["parent"], batch_size=500)
