"""Checks of an organisation's endpoints: TLS endpoints judged against the guideline's art. 34
and 36, and SSH servers audited for the crypto inventory. The endpoints it registered
(targets, with their protocol), each check run with the full JSON of ``finres check tls`` or
``finres check ssh``, and each TLS run's outcome per requirement, kept as rows so that lists
and the dashboard query them (an SSH run has none: no guideline article judges SSH).

Only a registered target is ever scanned: there is no way to ask the server to scan a host
that is not one of the organisation's targets.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from finres.web.audit.models import Audited
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem


class Protocol(models.TextChoices):
    TLS = "tls", _("TLS")
    SSH = "ssh", _("SSH")


DEFAULT_PORTS = {Protocol.TLS: 443, Protocol.SSH: 22}


class TlsTarget(Audited, models.Model):
    """An endpoint of the organisation (host and port) checked on request or on a schedule:
    a TLS endpoint (the default) or an SSH server."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    system = models.ForeignKey(
        InformationSystem,
        verbose_name=_("information system"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tls_targets",
    )
    protocol = models.CharField(
        _("protocol"),
        max_length=8,
        choices=Protocol.choices,
        default=Protocol.TLS,
        help_text=_("TLS: judged against art. 34 and 36; SSH: audited for the crypto inventory."),
    )
    host = models.CharField(
        _("host"), max_length=253, help_text=_("A host name or an IP address, without a port.")
    )
    port = models.PositiveIntegerField(
        _("port"), default=443, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    server_name = models.CharField(
        _("server name (SNI)"),
        max_length=253,
        blank=True,
        help_text=_("TLS only: the name the certificate is checked against; empty: the host."),
    )
    schedule_days = models.PositiveSmallIntegerField(
        _("check every (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("E.g. 7 for a weekly check; empty: only when someone starts it."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["host", "port"]
        verbose_name = _("check target")
        verbose_name_plural = _("check targets")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "host", "port", "server_name"],
                name="checks_target_unique_endpoint",
            )
        ]

    def __str__(self) -> str:
        return self.endpoint

    @property
    def is_ssh(self) -> bool:
        return self.protocol == Protocol.SSH

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def next_due(self, last_run: dt.datetime | None) -> dt.datetime | None:
        """When a scheduled check is due again (now or earlier when it never ran)."""
        if not self.enabled or not self.schedule_days:
            return None
        if last_run is None:
            return None  # due at once; shown as "now"
        return last_run + dt.timedelta(days=self.schedule_days)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    OK = "ok", _("Completed")
    ERROR = "error", _("Could not be checked")


class OutcomeStatus(models.TextChoices):
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")
    NEEDS_EVIDENCE = "needs_evidence", _("Needs evidence")


class TlsRun(Audited, models.Model):
    """One check of one target; ``result`` is the JSON contract of ``finres check tls`` or, for
    an SSH run (``protocol``, the target's when it ran), of ``finres check ssh``."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(
        TlsTarget, verbose_name=_("target"), on_delete=models.CASCADE, related_name="runs"
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started = models.DateTimeField(_("started"))
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    error = models.TextField(_("error"), blank=True)
    protocol = models.CharField(
        _("protocol"), max_length=8, choices=Protocol.choices, default=Protocol.TLS
    )
    language = models.CharField(max_length=8, default="zh-TW")  # of the evidence texts
    result = models.JSONField(default=dict, blank=True)
    passed = models.PositiveSmallIntegerField(default=0)
    failed = models.PositiveSmallIntegerField(default=0)
    needs_evidence = models.PositiveSmallIntegerField(default=0)
    # SSH: the algorithms ssh-audit does not recommend (its "fail" verdicts)
    not_recommended = models.PositiveSmallIntegerField(default=0)
    crypto_note = models.TextField(blank=True)  # what the crypto inventory import said

    class Meta:
        ordering = ["-started", "-pk"]
        verbose_name = _("check run")
        verbose_name_plural = _("check runs")
        indexes = [models.Index(fields=["organisation", "target", "-started"])]

    def __str__(self) -> str:
        return f"{self.target.endpoint} {self.started:%Y-%m-%d %H:%M}"

    @property
    def is_ssh(self) -> bool:
        return self.protocol == Protocol.SSH


class TlsOutcome(Audited, models.Model):
    """A run's judgement of one requirement of the guideline (``requirement`` is the node id)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(TlsRun, on_delete=models.CASCADE, related_name="outcomes")
    requirement = models.CharField(_("requirement"), max_length=80)
    status = models.CharField(_("status"), max_length=16, choices=OutcomeStatus.choices)
    evidence = models.TextField(_("observed facts"), blank=True)
    finding = models.ForeignKey(
        "improvements.Finding", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence_record = models.ForeignKey(
        "evidence.Evidence", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["run", "position"]
        verbose_name = _("TLS check outcome")
        verbose_name_plural = _("TLS check outcomes")
        constraints = [
            models.UniqueConstraint(fields=["run", "requirement"], name="checks_outcome_unique")
        ]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.requirement} {self.status}"
