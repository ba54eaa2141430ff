"""Critical financial services with their business impact analysis, the dependency graph they
stand on, each system's recovery capability per backup layer, and saved scenarios.

The graph is stored as rows and handed to the pure core (``finres.core.resilience``) in its own
file format (``graph.graph_data``); the analysis is never done here. Durations are whole
minutes. A node's recovery time and point are its stated values, unless something demonstrated
them (``Node.effective_recovery``): a backup layer's restore test, or a recorded drill.

Drills and exercises (``Drill``) are planned for services and nodes and recorded with what they
achieved: per service (met or missed against the BIA's RTO/RPO) and per node, optionally per
backup layer. A drill's result for a node is a demonstration like a layer's restore test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finres.core.resilience import NodeKind
from finres.web.audit.models import Audited
from finres.web.choices import label_of
from finres.web.evidence.models import Evidence
from finres.web.orgs.models import Organisation
from finres.web.registers.models import (
    CODE_VALIDATOR,
    InformationSystem,
    Site,
    Supplier,
    validate_tags,
)

# An upper bound for every duration (ten years in minutes): beyond it a value is a typo.
MAX_MINUTES = 10 * 365 * 24 * 60


def minutes_field(label: str, null: bool = False, **kwargs: object) -> models.PositiveIntegerField:
    from django.core.validators import MaxValueValidator

    return models.PositiveIntegerField(
        label,
        null=null,
        blank=null,
        default=None if null else 0,
        validators=[MaxValueValidator(MAX_MINUTES)],
        **kwargs,
    )


class CriticalService(Audited, models.Model):
    """A critical financial service and its business impact analysis (blueprint 28-2)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    mtpd_minutes = minutes_field(
        _("maximum tolerable period of disruption (minutes)"),
        null=True,
        help_text=_("MTPD: beyond it the damage is no longer acceptable."),
    )
    rto_minutes = minutes_field(_("recovery time objective (minutes)"))
    rpo_minutes = minutes_field(_("recovery point objective (minutes)"))
    minimum_service_level = models.TextField(
        _("minimum service level in degraded mode"),
        blank=True,
        help_text=_("MBCO: what the service must still do while it is degraded."),
    )
    reviewed_on = models.DateField(_("BIA last reviewed"), null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("critical service")
        verbose_name_plural = _("critical services")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="service_unique_code")
        ]

    choice_label_fields = ("code", "name")  # options read as two columns (choices.py)

    def __str__(self) -> str:
        return label_of(self.code, self.name)

    def clean(self) -> None:
        if (
            self.mtpd_minutes is not None
            and self.rto_minutes is not None
            and self.rto_minutes > self.mtpd_minutes
        ):
            raise ValidationError(
                {
                    "rto_minutes": _("The RTO cannot be longer than the MTPD (%(mtpd)s minutes).")
                    % {"mtpd": self.mtpd_minutes}
                }
            )


class ImpactRating(Audited, models.Model):
    """The impact of an interruption of a service after a given time (impact over time)."""

    class Bucket(models.TextChoices):
        H1 = "1h", _("1 hour")
        H4 = "4h", _("4 hours")
        D1 = "1d", _("1 day")
        D3 = "3d", _("3 days")
        W1 = "1w", _("1 week")

    class Level(models.IntegerChoices):
        NONE = 0, _("None")
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")
        SEVERE = 4, _("Severe")

    BUCKET_ORDER = {b.value: i for i, b in enumerate(Bucket)}

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        CriticalService, verbose_name=_("service"), on_delete=models.CASCADE, related_name="impacts"
    )
    bucket = models.CharField(_("after"), max_length=2, choices=Bucket.choices)
    financial = models.PositiveSmallIntegerField(
        _("financial"), choices=Level.choices, default=Level.NONE
    )
    customer = models.PositiveSmallIntegerField(
        _("customers"), choices=Level.choices, default=Level.NONE
    )
    regulatory = models.PositiveSmallIntegerField(
        _("regulatory"), choices=Level.choices, default=Level.NONE
    )
    reputational = models.PositiveSmallIntegerField(
        _("reputational"), choices=Level.choices, default=Level.NONE
    )

    class Meta:
        ordering = ["service", "bucket"]
        verbose_name = _("impact rating")
        verbose_name_plural = _("impact ratings")
        constraints = [
            models.UniqueConstraint(fields=["service", "bucket"], name="impact_unique_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.service.code} {self.bucket}"


class Node(Audited, models.Model):
    """A node of the dependency graph. It may stand for a critical service, or for an entry of
    the registers (system, supplier, site); processes and infrastructure are its own."""

    class Kind(models.TextChoices):
        SERVICE = NodeKind.SERVICE.value, _("Service")
        PROCESS = NodeKind.PROCESS.value, _("Business process")
        SYSTEM = NodeKind.SYSTEM.value, _("Information system")
        INFRASTRUCTURE = NodeKind.INFRASTRUCTURE.value, _("Infrastructure")
        DATA_STORE = NodeKind.DATA_STORE.value, _("Data store")
        SUPPLIER = NodeKind.SUPPLIER.value, _("Supplier")
        SITE = NodeKind.SITE.value, _("Site")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(
        _("code"),
        max_length=40,
        validators=[CODE_VALIDATOR],
        help_text=_("The node's id in the graph file."),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    service = models.OneToOneField(
        CriticalService,
        verbose_name=_("critical service"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="node",
    )
    system = models.ForeignKey(
        InformationSystem,
        verbose_name=_("information system"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recovery_time_minutes = minutes_field(
        _("recovery time (minutes)"),
        help_text=_("To restore it once what it requires is back."),
    )
    recovery_point_minutes = minutes_field(
        _("recovery point (minutes)"), help_text=_("Data lost when it is restored.")
    )
    failover_time_minutes = minutes_field(
        _("failover time (minutes)"),
        help_text=_("To switch to a surviving alternative."),
    )
    tags = models.JSONField(_("tags"), default=list, blank=True, validators=[validate_tags])

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("graph node")
        verbose_name_plural = _("graph nodes")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="node_unique_code")
        ]

    choice_label_fields = ("code", "name")  # options read as two columns (choices.py)

    def __str__(self) -> str:
        return label_of(self.code, self.name)

    def clean(self) -> None:
        links = {
            "service": (self.service_id, self.Kind.SERVICE),
            "system": (self.system_id, (self.Kind.SYSTEM, self.Kind.DATA_STORE)),
            "supplier": (self.supplier_id, self.Kind.SUPPLIER),
            "site": (self.site_id, self.Kind.SITE),
        }
        problems: dict[str, object] = {}
        for field, (value, kinds) in links.items():
            allowed = kinds if isinstance(kinds, tuple) else (kinds,)
            if value is not None and self.kind not in allowed:
                problems[field] = _("Only a node of kind %(kind)s can stand for this.") % {
                    "kind": ", ".join(str(self.Kind(k).label) for k in allowed)
                }
        if self.kind == self.Kind.SERVICE and self.service_id is None:
            problems["service"] = _("A service node stands for a critical service: choose it.")
        if problems:
            raise ValidationError(problems)

    def effective_recovery(self) -> tuple[int, int, RecoveryLayer | DrillNodeResult | None]:
        """(recovery time, recovery point, what demonstrated them): see ``demonstration``."""
        shown = self.demonstration()
        if shown is None:
            return self.recovery_time_minutes, self.recovery_point_minutes, None
        return shown.time, shown.point, shown.source

    def demonstration(self) -> Demonstration | None:
        """What the analysis uses instead of the stated values, or None.

        Each backup layer counts with its latest demonstration (a layer's restore test, or a
        recorded drill naming that layer: the more recent wins, a drill on the same day). A drill
        naming no layer demonstrates the node as a whole: when it is at least as recent as every
        layer's, it is used; otherwise the quickest layer is. Uses the ``layers`` and
        ``drill_results`` prefetches when there are."""
        latest: dict[str, Demonstration] = {}
        for layer in self.layers.all():
            if layer.demonstrated_on is not None:
                latest[layer.layer] = Demonstration(
                    layer.demonstrated_on,
                    layer.recovery_time_minutes,
                    layer.recovery_point_minutes,
                    layer,
                    layer.layer,
                )
        for result in self.drill_results.all():
            performed = result.drill.performed_on
            if performed is None:
                continue
            shown = Demonstration(
                performed,
                result.recovery_time_minutes,
                result.recovery_point_minutes,
                result,
                result.layer,
            )
            known = latest.get(result.layer)
            if (
                known is None
                or performed > known.on
                or (
                    performed == known.on
                    and (
                        isinstance(known.source, RecoveryLayer)  # the drill wins its day
                        or (shown.time, shown.point) < (known.time, known.point)
                    )
                )
            ):
                latest[result.layer] = shown
        whole = latest.pop("", None)
        if whole is not None and all(whole.on >= d.on for d in latest.values()):
            return whole
        if not latest:
            return whole
        return min(latest.values(), key=lambda d: (d.time, d.point))


@dataclass(frozen=True)
class Demonstration:
    """A demonstrated recovery of a node: when, the times, and the layer or drill result."""

    on: dt.date
    time: int
    point: int
    source: Any  # RecoveryLayer | DrillNodeResult
    layer: str  # "" for the node as a whole

    @property
    def drill(self) -> Drill | None:
        return self.source.drill if isinstance(self.source, DrillNodeResult) else None


class Dependency(Audited, models.Model):
    """An edge: ``node`` requires ``target`` (no group), or ``target`` is one of the alternatives
    of the named group (``any_of``: one surviving member of each group suffices)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    node = models.ForeignKey(
        Node, verbose_name=_("node"), on_delete=models.CASCADE, related_name="dependencies"
    )
    target = models.ForeignKey(
        Node, verbose_name=_("depends on"), on_delete=models.CASCADE, related_name="dependents"
    )
    group = models.CharField(
        _("alternative group"),
        max_length=40,
        blank=True,
        help_text=_("Empty: required. A name: one of a group of alternatives."),
    )

    class Meta:
        ordering = ["node", "group", "pk"]
        verbose_name = _("dependency")
        verbose_name_plural = _("dependencies")
        constraints = [
            models.UniqueConstraint(
                fields=["node", "target", "group"], name="dependency_unique_edge"
            )
        ]

    def __str__(self) -> str:
        return f"{self.node_id} → {self.target_id}"

    def clean(self) -> None:
        if self.node_id is not None and self.node_id == self.target_id:
            raise ValidationError({"target": _("A node cannot depend on itself.")})


LAYERED_KINDS = ("system", "data_store", "infrastructure")


class RecoveryLayer(Audited, models.Model):
    """A system's recovery capability from one backup layer (blueprint measure 28-1)."""

    class Layer(models.TextChoices):
        LOCAL = "local", _("Local backup")
        OFF_SITE = "off_site", _("Off-site backup")
        THIRD_SITE = "third_site", _("Third-site backup")
        CLOUD = "cloud", _("Cloud backup")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    node = models.ForeignKey(
        Node, verbose_name=_("node"), on_delete=models.CASCADE, related_name="layers"
    )
    layer = models.CharField(_("backup layer"), max_length=12, choices=Layer.choices)
    site = models.ForeignKey(
        Site,
        verbose_name=_("where the copy is"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recovery_time_minutes = minutes_field(_("demonstrated recovery time (minutes)"))
    recovery_point_minutes = minutes_field(_("demonstrated recovery point (minutes)"))
    demonstrated_on = models.DateField(
        _("demonstrated on"),
        null=True,
        blank=True,
        help_text=_("The restore test or drill that showed these times."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["node", "layer"]
        verbose_name = _("backup layer")
        verbose_name_plural = _("backup layers")
        constraints = [
            models.UniqueConstraint(fields=["node", "layer"], name="layer_unique_per_node")
        ]

    def __str__(self) -> str:
        return f"{self.node_id} {self.layer}"

    def clean(self) -> None:
        if self.node_id is not None and self.node.kind not in (
            Node.Kind.SYSTEM,
            Node.Kind.DATA_STORE,
            Node.Kind.INFRASTRUCTURE,
        ):
            # not keyed by field: the node is not a field of the forms that add a layer
            raise ValidationError(
                _("Backup layers belong to systems, data stores and infrastructure.")
            )


class Scenario(Audited, models.Model):
    """A saved scenario: the nodes that fail, and every node carrying one of the tags."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    fail = models.ManyToManyField(
        Node, verbose_name=_("nodes that fail"), blank=True, related_name="+"
    )
    fail_tagged = models.JSONField(
        _("every node tagged"), default=list, blank=True, validators=[validate_tags]
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="scenario_unique_code")
        ]

    choice_label_fields = ("code", "name")  # options read as two columns (choices.py)

    def __str__(self) -> str:
        return label_of(self.code, self.name)


# --- drills and exercises -----------------------------------------------------------------------


class Drill(Audited, models.Model):
    """A business-continuity drill or exercise (TWSE CC-20000 業務持續運作演練; blueprint 28-1,
    28-2, 29): planned with its scope, then recorded with what it achieved."""

    class Kind(models.TextChoices):
        TABLETOP = "tabletop", _("Tabletop exercise")
        FAILOVER = "failover", _("Technical failover test")
        FULL_SCALE = "full_scale", _("Full-scale exercise")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    scenario = models.ForeignKey(
        Scenario,
        verbose_name=_("scenario"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drills",
        help_text=_("A saved scenario, or describe it below."),
    )
    scenario_text = models.TextField(_("scenario (description)"), blank=True)
    services = models.ManyToManyField(
        CriticalService, verbose_name=_("services in scope"), blank=True, related_name="drills"
    )
    nodes = models.ManyToManyField(
        Node, verbose_name=_("systems and nodes in scope"), blank=True, related_name="drills"
    )
    suppliers = models.ManyToManyField(
        Supplier,
        verbose_name=_("suppliers involved"),
        blank=True,
        related_name="+",
        help_text=_("Blueprint measure 29: the suppliers taking part in the drill."),
    )
    participants = models.TextField(_("participants"), blank=True)
    planned_on = models.DateField(_("planned date"))
    performed_on = models.DateField(_("performed on"), null=True, blank=True)
    summary = models.TextField(_("result summary"), blank=True)
    issues = models.TextField(
        _("issues found"), blank=True, help_text=_("One issue per line; each may become a finding.")
    )
    evidence = models.ManyToManyField(
        Evidence, verbose_name=_("evidence"), blank=True, related_name="+"
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-planned_on", "code"]
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="drill_unique_code")
        ]

    choice_label_fields = ("code", "name")  # options read as two columns (choices.py)

    def __str__(self) -> str:
        return label_of(self.code, self.name)

    @property
    def performed(self) -> bool:
        return self.performed_on is not None

    def clean(self) -> None:
        if self.performed_on is not None and self.performed_on > timezone.localdate():
            raise ValidationError({"performed_on": _("A drill cannot be performed in the future.")})


class DrillServiceResult(Audited, models.Model):
    """What a drill achieved for a critical service, judged against the BIA's RTO and RPO."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    drill = models.ForeignKey(
        Drill, verbose_name=_("drill"), on_delete=models.CASCADE, related_name="service_results"
    )
    service = models.ForeignKey(
        CriticalService,
        verbose_name=_("service"),
        on_delete=models.CASCADE,
        related_name="drill_results",
    )
    recovery_time_minutes = minutes_field(_("achieved recovery time (minutes)"))
    data_loss_minutes = minutes_field(_("data loss (minutes)"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["drill", "service__code"]
        verbose_name = _("drill result of a service")
        verbose_name_plural = _("drill results of services")
        constraints = [
            models.UniqueConstraint(fields=["drill", "service"], name="drill_service_unique")
        ]

    def __str__(self) -> str:
        return f"{self.drill_id} {self.service_id}"

    @property
    def meets_rto(self) -> bool:
        return self.recovery_time_minutes <= self.service.rto_minutes

    @property
    def meets_rpo(self) -> bool:
        return self.data_loss_minutes <= self.service.rpo_minutes

    @property
    def rto_gap(self) -> int:
        return max(0, self.recovery_time_minutes - self.service.rto_minutes)

    @property
    def rpo_gap(self) -> int:
        return max(0, self.data_loss_minutes - self.service.rpo_minutes)


class DrillNodeResult(Audited, models.Model):
    """What a drill demonstrated for a node (a system, data store, infrastructure …), for one
    backup layer or the node as a whole: it becomes the node's demonstrated recovery."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    drill = models.ForeignKey(
        Drill, verbose_name=_("drill"), on_delete=models.CASCADE, related_name="node_results"
    )
    node = models.ForeignKey(
        Node, verbose_name=_("node"), on_delete=models.CASCADE, related_name="drill_results"
    )
    layer = models.CharField(
        _("backup layer"),
        max_length=12,
        choices=RecoveryLayer.Layer.choices,
        blank=True,
        help_text=_("Empty: the node as a whole."),
    )
    recovery_time_minutes = minutes_field(_("achieved recovery time (minutes)"))
    recovery_point_minutes = minutes_field(_("data loss (minutes)"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["drill", "node__code", "layer"]
        verbose_name = _("drill result of a node")
        verbose_name_plural = _("drill results of nodes")
        constraints = [
            models.UniqueConstraint(fields=["drill", "node", "layer"], name="drill_node_unique")
        ]

    def __str__(self) -> str:
        return f"{self.drill_id} {self.node_id} {self.layer}".strip()

    def clean(self) -> None:
        if self.layer and self.node_id is not None and self.node.kind not in LAYERED_KINDS:
            raise ValidationError(
                {"layer": _("Backup layers belong to systems, data stores and infrastructure.")}
            )
