"""What the pages and the API share: the organisation's inventory as the core sees it, the
plan, the CBOM import (all or nothing) and export, and the improvement plan that carries the
migration plan's milestones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from finres.core import crypto as core
from finres.core.i18n import Language
from finres.web.audit.log import append
from finres.web.crypto.models import CryptoAsset, Exposure, MigrationPlan, SystemCryptoRisk
from finres.web.improvements.models import Finding, Milestone
from finres.web.language import current_language
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem

CBOM_MAX_BYTES = 20 * 1024 * 1024
ASSET_FIELDS = (
    "kind",
    "name",
    "family",
    "parameter",
    "key_size",
    "where_used",
    "primitive",
    "signature_algorithm",
    "not_after",
    "version",
    "pqc_capable",
    "notes",
)


def language() -> Language:
    return "en" if current_language() == "en" else "zh-TW"


def plan_settings(organisation: Organisation) -> MigrationPlan:
    found = MigrationPlan.objects.filter(organisation=organisation).first()
    return found or MigrationPlan(organisation=organisation)


def assets_of(organisation: Organisation) -> list[CryptoAsset]:
    return list(
        CryptoAsset.objects.filter(organisation=organisation)
        .select_related("system")
        .order_by("code")
    )


def risks_of(organisation: Organisation) -> list[SystemCryptoRisk]:
    return list(SystemCryptoRisk.objects.filter(organisation=organisation).select_related("system"))


def milestone_states(plan: MigrationPlan, codes: set[str]) -> dict[str, core.MilestoneState]:
    """The state of each plan milestone, read from the improvement plan's milestones by title
    (in either language; a migration by the system code in its title)."""
    if plan.finding_id is None:
        return {}
    rules = core.load_rules()
    ids: dict[str, str] = {}
    for item_id, name in rules.preparation:
        for text in name.values():
            ids[text] = item_id
    states = {}
    for milestone in Milestone.objects.filter(finding_id=plan.finding_id):
        key = ids.get(milestone.title)
        if key is None:
            code = next((w for w in milestone.title.split() if w in codes), None)
            key = f"migrate:{code}" if code else None
        if key is not None:
            states[key] = core.MilestoneState(milestone.due_date.isoformat(), milestone.done)
    return states


def plan_for(organisation: Organisation, lang: Language | None = None) -> dict[str, Any]:
    """The plan's JSON contract (docs/crypto.md), for the organisation's inventory."""
    plan = plan_settings(organisation)
    assets = [a.core() for a in assets_of(organisation)]
    systems = [r.core() for r in risks_of(organisation)]
    codes = {a.system for a in assets if a.system} | {s.code for s in systems}
    return core.plan_data(
        assets,
        systems,
        timezone.localdate(),
        plan.threat_horizon_year,
        milestone_states(plan, codes),
        lang or language(),
    )


def export_cbom(organisation: Organisation) -> dict[str, Any]:
    return core.export_cbom([a.core() for a in assets_of(organisation)], organisation.name)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _values(asset: core.CryptoAsset) -> dict[str, Any]:
    return {
        "kind": asset.kind.value,
        "name": asset.name[:200],
        "family": (asset.family or "")[:40],
        "parameter": (asset.parameter or "")[:100],
        "key_size": asset.key_size if asset.key_size and asset.key_size <= 65536 else None,
        "where_used": asset.where_used[:300],
        "primitive": (asset.primitive or "")[:40],
        "signature_algorithm": (asset.signature_algorithm or "")[:100],
        "not_after": dt.date.fromisoformat(asset.not_after[:10]) if asset.not_after else None,
        "version": (asset.version or "")[:100],
        "pqc_capable": asset.pqc_capable,
        "notes": asset.notes,
    }


def save_assets(
    organisation: Organisation,
    assets: list[core.CryptoAsset],
    source: str,
    description: str,
    default_system: InformationSystem | None = None,
) -> ImportResult:
    """Create or update the assets by code, all or nothing: a system code that is not in the
    register, or a value that does not fit, refuses the whole set with every problem named."""
    result = ImportResult()
    systems = {
        s.code: s
        for s in InformationSystem.objects.filter(organisation=organisation).only("pk", "code")
    }
    existing = {a.code: a for a in CryptoAsset.objects.filter(organisation=organisation)}
    planned = []
    for asset in assets:
        system = default_system
        if asset.system:
            system = systems.get(asset.system)
            if system is None:
                result.errors.append(
                    _("%(asset)s: the system %(system)s is not in the register.")
                    % {"asset": asset.id, "system": asset.system}
                )
                continue
        try:
            values = _values(asset)
        except ValueError:
            result.errors.append(
                _("%(asset)s: “%(value)s” is not a date.")
                % {"asset": asset.id, "value": asset.not_after}
            )
            continue
        row = existing.get(asset.id[:200]) or CryptoAsset(
            organisation=organisation, code=asset.id[:200]
        )
        changed = row.pk is None or row.system_id != (system.pk if system else None)
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        row.system = system
        if row.pk is None:
            row.source = source
        planned.append((row, changed))
    if result.errors:
        return result
    with transaction.atomic():
        for row, changed in planned:
            if row.pk is None:
                result.created += 1
            elif changed:
                result.updated += 1
            else:
                result.unchanged += 1
                continue
            row.save()
        append(
            "import",
            "crypto.cryptoasset",
            "",
            description[:300],
            {"created": result.created, "updated": result.updated, "source": source},
            organisation.pk,
        )
    return result


def import_upload(
    organisation: Organisation,
    raw: bytes,
    name: str,
    system: InformationSystem | None = None,
) -> ImportResult:
    """A CBOM (validated against the CycloneDX schema) or the JSON of ``finres check tls`` or
    ``finres check ssh`` (one result or a list; its assets go to ``system``), saved all or
    nothing."""
    from finres.core.crypto.cbom import parse_json
    from finres.core.crypto.inventory import assets_from_check_results

    try:
        if len(raw) > CBOM_MAX_BYTES:
            raise core.CryptoError(name, _("larger than 20 MiB"))
        data: Any = parse_json(raw, name)
        if isinstance(data, dict) and "bomFormat" in data:
            assets, source, label = core.import_cbom(data, name), "cbom", f"CBOM {name}"
        else:
            assets = assets_from_check_results(data, name)
            source = "ssh" if assets and all(a.source == "ssh" for a in assets) else "tls"
            label = f"{source.upper()} {name}"
    except core.CryptoError as error:
        return ImportResult(errors=[str(error)])
    if not assets:
        return ImportResult(errors=[_("%(file)s: no cryptographic asset in it.") % {"file": name}])
    return save_assets(organisation, assets, source, label, system)


def ensure_plan_finding(organisation: Organisation, user: Any, due: dt.date) -> Finding:
    """The improvement plan of the PQC migration with the preparation items and the migration
    of each system that needs one as milestones (created once; later calls add what is new)."""
    plan = plan_settings(organisation)
    with transaction.atomic():
        if plan.finding_id is None or not Finding.objects.filter(pk=plan.finding_id).exists():
            finding = Finding.objects.create(
                organisation=organisation,
                title=_("PQC migration plan (blueprint measure 17)"),
                description=_(
                    "Milestones: the preparation items of measure 17 and the migration "
                    "of each system at risk, ordered by risk."
                ),
                source=Finding.Source.OTHER,
                source_reference="fsc-resilience-blueprint-2025 m-17-2.migration-plan",
                severity=Finding.Severity.HIGH,
                created_by=user if getattr(user, "is_authenticated", False) else None,
                due_date=due,
            )
            plan.finding = finding
            plan.save()
        finding = plan.finding
        present = set(Milestone.objects.filter(finding=finding).values_list("title", flat=True))
        data = plan_for(organisation)
        for item in data["milestones"]:
            if item["title"] in present:
                continue
            Milestone.objects.create(
                organisation=organisation, finding=finding, title=item["title"][:300], due_date=due
            )
    return finding


def dashboard_numbers(organisation: Organisation) -> dict[str, int]:
    """What a dashboard tile shows of PQC readiness: assets by quantum exposure (one query)."""
    counts = dict(
        CryptoAsset.objects.filter(organisation=organisation)
        .order_by()
        .values_list("exposure")
        .annotate(n=Count("pk"))
        .values_list("exposure", "n")
    )
    return {
        "assets": sum(counts.values()),
        "quantum_safe": counts.get(Exposure.QUANTUM_SAFE, 0),
        "quantum_vulnerable": counts.get(Exposure.QUANTUM_VULNERABLE, 0),
        "classically_weak": counts.get(Exposure.CLASSICALLY_WEAK, 0),
        "grover_weakened": counts.get(Exposure.GROVER_WEAKENED, 0),
        "unknown": counts.get(Exposure.UNKNOWN, 0),
    }
