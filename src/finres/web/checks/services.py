"""What the pages, the API and the jobs share: scanning an organisation's registered targets
with the core (``finres.core.checks``), keeping each run, and feeding the platform from it.

A run of a reachable endpoint, for each requirement of the guideline:

- ``fail``: a finding (source "automated check", severity high, due date from the
  institution's remediation targets), recorded once while it is open;
- ``pass``: dated evidence (a text file of the observed facts) supporting the requirement's
  result in the organisation's open assessments of the guideline;
- ``pass``/``fail``: a proposed result (compliant / non-compliant) on those results, pending
  until a person accepts or overrides it; ``needs_evidence`` proposes nothing;
- its protocols, groups and certificate go to the crypto inventory of the target's system
  (the crypto app's import of ``finres check tls`` JSON).

An unreachable endpoint gives a run with the reason and nothing else: no finding, no evidence,
no proposal (a network problem is not a verdict on the endpoint's cryptography).

An SSH target is audited by the core's ``finres check ssh`` (ssh-audit) in the same batch, under
the same limits. No guideline article judges SSH: its run has no outcomes, raises no finding
and no evidence, proposes nothing; it keeps the JSON, counts ssh-audit's "not recommended"
verdicts, and feeds the crypto inventory of the target's system (source "ssh").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from finres.core.checks import ssh as ssh_check
from finres.core.checks import tls as tls_check
from finres.core.checks.batch import run_bounded
from finres.core.checks.tls_rules import FRAMEWORK as FRAMEWORK
from finres.core.checks.tls_rules import report as tls_report
from finres.core.i18n import Language
from finres.core.propagation import Outcome, most_restrictive
from finres.core.remediation import due_date
from finres.web.assessments.models import (
    Assessment,
    ProposalState,
    RequirementResult,
    Result,
)
from finres.web.assessments.proposals import PROPOSAL_FIELDS, RESULT_MODEL
from finres.web.audit.log import append, append_bulk, bulk_row
from finres.web.checks.models import (
    OutcomeStatus,
    Protocol,
    RunStatus,
    TlsOutcome,
    TlsRun,
    TlsTarget,
)
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.frameworks.models import Requirement
from finres.web.improvements.models import Finding
from finres.web.language import current_language
from finres.web.orgs.models import Organisation

CONCURRENCY = 8  # endpoints scanned at once by one job
PER_HOST = 1  # trading gateways are fragile: one scan at a time per host (TLS and SSH alike)
SSH_TIMEOUT = 5.0  # seconds per connection of ssh-audit
SEVERITY = "high"  # Finding.Severity.HIGH: art. 34/36 failures expose orders and log-ins
PROPOSED = {OutcomeStatus.PASS: Result.COMPLIANT, OutcomeStatus.FAIL: Result.NON_COMPLIANT}


def language() -> Language:
    return "en" if current_language() == "en" else "zh-TW"


def requirements() -> dict[str, Requirement]:
    """The guideline's requirements by node id (``art-34-1`` …)."""
    return {r.code: r for r in Requirement.objects.filter(framework__code=FRAMEWORK, active=True)}


# --- targets and schedules ----------------------------------------------------------------------


def with_last_run(queryset: QuerySet[TlsTarget]) -> QuerySet[TlsTarget]:
    """Targets with their last run's start, status and counts (a few subqueries, one query)."""
    last = TlsRun.objects.filter(target=OuterRef("pk")).order_by("-started", "-pk")
    return queryset.annotate(
        last_started=Subquery(last.values("started")[:1]),
        last_status=Subquery(last.values("status")[:1]),
        last_passed=Subquery(last.values("passed")[:1]),
        last_failed=Subquery(last.values("failed")[:1]),
        last_needs_evidence=Subquery(last.values("needs_evidence")[:1]),
        last_not_recommended=Subquery(last.values("not_recommended")[:1]),
        last_protocol=Subquery(last.values("protocol")[:1]),
        last_run_id=Subquery(last.values("pk")[:1]),
    )


def due_targets(now: dt.datetime | None = None) -> QuerySet[TlsTarget]:
    """Enabled targets with a schedule whose last run is older than their interval (or that
    never ran), across organisations (each job then takes its organisation's)."""
    now = now or timezone.now()
    scheduled = TlsTarget.objects.filter(enabled=True, schedule_days__isnull=False).annotate(
        last=Max("runs__started")
    )
    due = [
        t.pk
        for t in scheduled
        if t.last is None or t.last + dt.timedelta(days=t.schedule_days or 0) <= now
    ]
    return TlsTarget.objects.filter(pk__in=due).order_by("organisation_id", "host", "port")


# --- running ------------------------------------------------------------------------------------


def run_targets(
    organisation: Organisation,
    targets: list[TlsTarget],
    *,
    user: Any = None,
    job: Any = None,
    progress: Callable[[int, int, str], None] | None = None,
    lang: Language | None = None,
) -> list[TlsRun]:
    """Scan ``targets`` (the organisation's own: TLS endpoints and SSH servers, in one batch)
    with bounded concurrency, one scan at a time per host, and record each run."""
    targets = [t for t in targets if t.organisation_id == organisation.pk]
    if not targets:
        return []
    lang = lang or language()
    started = timezone.now()
    done = {"n": 0}
    total = len(targets)
    if progress is not None:
        progress(0, total, targets[0].endpoint)

    def one_done() -> None:
        done["n"] += 1
        if progress is not None:
            following = targets[done["n"]].endpoint if done["n"] < total else ""
            progress(done["n"], total, following)

    def scan(target: TlsTarget) -> dict[str, Any]:
        if target.protocol == Protocol.SSH:
            return ssh_check.scan(target.host, target.port, SSH_TIMEOUT)
        found = tls_check.scan(target.host, target.port, target.server_name or None)
        return tls_report(found, language=lang)

    results = run_bounded(targets, lambda t: t.host, scan, CONCURRENCY, PER_HOST, one_done)
    return [
        record_run(t, data, user=user, job=job, started=started, lang=lang)
        for t, data in zip(targets, results, strict=True)
    ]


def record_run(
    target: TlsTarget,
    data: dict[str, Any],
    *,
    user: Any = None,
    job: Any = None,
    started: dt.datetime | None = None,
    lang: Language = "zh-TW",
) -> TlsRun:
    """Keep one scan result (the JSON contract of the target's protocol) and feed the platform
    from it, all at once; the texts it writes (findings, evidence) are in ``lang``, the
    language of the scan's."""
    with translation.override("en" if lang == "en" else "zh-hant"):
        return _record(target, data, user, job, started, lang)


def _record(
    target: TlsTarget,
    data: dict[str, Any],
    user: Any,
    job: Any,
    started: dt.datetime | None,
    lang: Language,
) -> TlsRun:
    organisation = target.organisation
    person = user if getattr(user, "is_authenticated", False) else None
    now = timezone.now()
    with transaction.atomic():
        run = TlsRun(
            organisation=organisation,
            target=target,
            job=job,
            requested_by=person,
            started=started or now,
            finished=now,
            language=lang,
            protocol=target.protocol,
            result=data,
        )
        if not data.get("reachable"):
            run.status = RunStatus.ERROR
            run.error = _("The endpoint could not be reached: %(reason)s") % {
                "reason": data.get("error") or _("no answer")
            }
            run.save()
            return run
        run.status = RunStatus.OK
        if run.protocol == Protocol.SSH:
            # no guideline article judges SSH: no outcome, finding, evidence or proposal
            run.not_recommended = len(data.get("not_recommended") or [])
            run.save()
            run.crypto_note = _feed_crypto(target, data, "ssh")
            run.save(update_fields=["crypto_note"])
            return run
        run.save()
        outcomes = _outcomes(run, data)
        found = requirements()
        results = _open_results(organisation, [o.requirement for o in outcomes])
        _raise_findings(run, outcomes, found, results, person)
        _record_evidence(run, outcomes, found, results, person)
        TlsOutcome.objects.bulk_create(outcomes)
        append_bulk(
            "create",
            "checks.tlsrun",
            organisation.pk,
            f"{run}: {run.passed} pass, {run.failed} fail, {run.needs_evidence} needs evidence",
            [bulk_row(o.pk or "", o.requirement, {"status": [None, o.status]}) for o in outcomes],
            object_id=run.pk,
            rows_model="checks.tlsoutcome",
        )
        _propose(run, outcomes, found, results)
        run.crypto_note = _feed_crypto(target, data, "tls")
        run.save(update_fields=["passed", "failed", "needs_evidence", "crypto_note"])
    return run


def _outcomes(run: TlsRun, data: dict[str, Any]) -> list[TlsOutcome]:
    outcomes = []
    for position, item in enumerate(data.get("findings") or []):
        if item.get("framework") != FRAMEWORK or item.get("status") not in OutcomeStatus.values:
            continue
        outcomes.append(
            TlsOutcome(
                organisation_id=run.organisation_id,
                run=run,
                requirement=str(item["requirement"])[:80],
                status=item["status"],
                evidence=str(item.get("evidence") or ""),
                position=position,
            )
        )
    run.passed = sum(o.status == OutcomeStatus.PASS for o in outcomes)
    run.failed = sum(o.status == OutcomeStatus.FAIL for o in outcomes)
    run.needs_evidence = sum(o.status == OutcomeStatus.NEEDS_EVIDENCE for o in outcomes)
    return outcomes


def _raise_findings(
    run: TlsRun,
    outcomes: list[TlsOutcome],
    found: dict[str, Requirement],
    results: dict[str, list[RequirementResult]],
    user: Any,
) -> None:
    today = timezone.localdate()
    target = run.target
    for outcome in outcomes:
        if outcome.status != OutcomeStatus.FAIL:
            continue
        requirement = found.get(outcome.requirement)
        label = requirement.label if requirement else outcome.requirement
        finding, _created = Finding.objects.record_once(
            organisation_id=run.organisation_id,
            source_reference=f"tls:{target.pk}:{outcome.requirement}",
            user=user,
            title=_("%(requirement)s not met by %(endpoint)s (TLS check)")
            % {"requirement": label, "endpoint": target.endpoint},
            description=_(
                "Observed by the TLS check of %(date)s: %(facts)s\n\nThe due date follows the "
                "institution's remediation targets by severity; the sources set no days."
            )
            % {"date": f"{run.started:%Y-%m-%d}", "facts": outcome.evidence},
            source=Finding.Source.CHECK,
            severity=SEVERITY,
            requirement=requirement,
            # the result in the newest open assessment of the guideline, if there is one
            result=next(reversed(results.get(outcome.requirement, [])), None),
            due_date=due_date(SEVERITY, today),
        )
        outcome.finding = finding


def _open_results(
    organisation: Organisation, codes: Iterable[str]
) -> dict[str, list[RequirementResult]]:
    """The results of these requirements in the organisation's open guideline assessments."""
    rows = (
        RequirementResult.objects.filter(
            organisation=organisation,
            assessment__organisation=organisation,
            assessment__status=Assessment.Status.IN_PROGRESS,
            assessment__framework__code=FRAMEWORK,
            requirement__code__in=list(codes),
        )
        .select_related("assessment", "requirement")
        .order_by("pk")
    )
    found: dict[str, list[RequirementResult]] = {}
    for row in rows:
        found.setdefault(row.requirement.code, []).append(row)
    return found


def _evidence_text(run: TlsRun, outcome: TlsOutcome, requirement: Requirement | None) -> str:
    data = run.result
    cert = data.get("certificate") or {}
    lines = [
        _("TLS check of %(endpoint)s (SNI %(sni)s)")
        % {"endpoint": run.target.endpoint, "sni": data.get("sni") or "—"},
        _("Checked on: %(when)s") % {"when": f"{run.started:%Y-%m-%d %H:%M %Z}"},
        _("Requirement: %(requirement)s")
        % {"requirement": requirement.label if requirement else outcome.requirement},
        _("Result: pass"),
        _("Observed: %(facts)s") % {"facts": outcome.evidence},
        "",
        _("Protocols: %(list)s")
        % {"list": ", ".join(p for p, ok in (data.get("protocols") or {}).items() if ok) or "—"},
        _("Groups: %(list)s") % {"list": ", ".join(data.get("groups") or []) or "—"},
        _("Certificate: %(subject)s, %(key)s %(bits)s, %(algorithm)s, until %(until)s")
        % {
            "subject": cert.get("subject", "—"),
            "key": cert.get("key_type", "—"),
            "bits": cert.get("key_size", "—"),
            "algorithm": cert.get("signature_algorithm", "—"),
            "until": str(cert.get("not_after", "—"))[:10],
        },
        "",
        json.dumps(data, ensure_ascii=False, indent=2),
    ]
    return "\n".join(lines) + "\n"


def _record_evidence(
    run: TlsRun,
    outcomes: list[TlsOutcome],
    found: dict[str, Requirement],
    results: dict[str, list[RequirementResult]],
    user: Any,
) -> None:
    """A dated piece of evidence per passed requirement; a newer version of the previous run's
    (which keeps its own date and file as history) when there is one."""
    from finres.web.evidence.services import create_evidence

    today = timezone.localdate()
    for outcome in outcomes:
        if outcome.status != OutcomeStatus.PASS:
            continue
        requirement = found.get(outcome.requirement)
        previous = (
            TlsOutcome.objects.filter(
                run__target=run.target,
                requirement=outcome.requirement,
                evidence_record__isnull=False,
            )
            .exclude(run=run)
            .select_related("evidence_record")
            .order_by("-run__started", "-pk")
            .first()
        )
        supersedes = previous.evidence_record if previous else None
        if supersedes is not None and not supersedes.is_current:
            supersedes = None
        linked = (
            set(
                EvidenceLink.objects.filter(evidence=supersedes).values_list("result_id", flat=True)
            )
            if supersedes
            else set()
        )
        name = f"tls-check-{run.target.pk}-{outcome.requirement}-{today:%Y%m%d}.txt"
        try:
            evidence = create_evidence(
                organisation=run.organisation,
                user=user,
                title=_("TLS check of %(endpoint)s: %(requirement)s passed (%(date)s)")
                % {
                    "endpoint": run.target.endpoint,
                    "requirement": requirement.label if requirement else outcome.requirement,
                    "date": f"{today:%Y-%m-%d}",
                },
                description=outcome.evidence,
                effective_date=today,
                upload=ContentFile(_evidence_text(run, outcome, requirement).encode(), name=name),
                supersedes=supersedes,
                results=[r for r in results.get(outcome.requirement, []) if r.pk not in linked],
            )
        except ValidationError:
            # e.g. the evidence storage refuses the file: the run stands, without evidence
            continue
        outcome.evidence_record = evidence


def _sort_key(entry: dict[str, Any]) -> tuple[int, str, str, str]:
    # the same order as the mappings' proposals (assessments.proposals)
    return (
        int(entry.get("assessment") or 0),
        str(entry.get("framework")),
        str(entry.get("requirement")),
        str(entry.get("via") or ""),
    )


def _propose(
    run: TlsRun,
    outcomes: list[TlsOutcome],
    found: dict[str, Requirement],
    results: dict[str, list[RequirementResult]],
) -> None:
    """Pass → compliant, fail → non-compliant, proposed (pending review) on the open
    assessments' results; each target's entry replaces its own earlier one, and the proposal is
    the most restrictive of every entry (a failing endpoint outweighs a passing one)."""
    target = run.target
    changed: list[RequirementResult] = []
    changes: dict[str, Any] = {}
    now = timezone.now()
    for outcome in outcomes:
        requirement = found.get(outcome.requirement)
        for row in results.get(outcome.requirement, []):
            if row.result == Result.NOT_APPLICABLE:
                continue
            kept = [e for e in row.proposal_provenance or [] if e.get("check_target") != target.pk]
            new = []
            if outcome.status in PROPOSED and requirement is not None:
                value = str(PROPOSED[OutcomeStatus(outcome.status)])
                new.append(
                    {
                        "assessment": 0,  # not an assessment: a check run (below)
                        "assessment_name": f"TLS {target.endpoint} {run.started:%Y-%m-%d}",
                        "framework": FRAMEWORK,
                        "requirement": requirement.code,
                        "label": requirement.label,
                        "title": {
                            "zh-TW": (requirement.title_zh or requirement.title_en)[:120],
                            "en": (requirement.title_en or requirement.title_zh)[:120],
                        },
                        "result": value,
                        "relationship": "equal",
                        "via": None,
                        "via_label": None,
                        "via_title": None,
                        "proposed": value,
                        "check_run": run.pk,
                        "check_target": target.pk,
                    }
                )
            provenance = sorted(kept + new, key=_sort_key)
            before = (row.proposed_result, row.proposal_state)
            if not provenance:
                if row.proposal_state == ProposalState.PENDING and row.proposed_result:
                    row.proposed_result, row.proposal_state = "", ProposalState.NONE
                    row.proposal_provenance = []
                else:
                    continue
            else:
                proposed = most_restrictive(Outcome(e["proposed"]) for e in provenance).value
                if proposed == row.proposed_result and provenance == row.proposal_provenance:
                    continue
                row.proposed_result = proposed
                row.proposal_state = ProposalState.PENDING
                row.proposal_provenance = provenance
            row.updated = now
            changed.append(row)
            changes[str(row.pk)] = {
                "proposed_result": [before[0], row.proposed_result],
                "proposal_state": [before[1], row.proposal_state],
            }
    if changed:
        RequirementResult.objects.bulk_update(changed, PROPOSAL_FIELDS, batch_size=500)
        append(
            "update",
            RESULT_MODEL,
            "bulk",
            f"Proposals from the TLS check of {target.endpoint} (run {run.pk})",
            {"check_run": run.pk, "results": changes},
            run.organisation_id,
        )


def _feed_crypto(target: TlsTarget, data: dict[str, Any], kind: str) -> str:
    """The run's protocols, groups and certificate (TLS), or key exchanges, host keys, ciphers
    and MACs (SSH), in the crypto inventory of the target's system (the crypto app's import of
    ``finres check tls`` or ``finres check ssh`` JSON); what it said, briefly."""
    from finres.web.crypto.services import import_upload

    result = import_upload(
        target.organisation,
        json.dumps(data, ensure_ascii=False).encode(),
        f"{kind}-check-{target.pk}.json",
        target.system,
    )
    if not result.ok:
        return "; ".join(result.errors)[:1000]
    return _("Crypto inventory: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.") % {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }


# --- numbers ------------------------------------------------------------------------------------


def dashboard_numbers(organisation: Organisation) -> dict[str, int]:
    """What a dashboard tile shows: targets, those whose last completed run failed an item,
    and the requirements the last runs left needing evidence (a few queries)."""
    targets = TlsTarget.objects.filter(organisation=organisation)
    last_ok = (
        TlsRun.objects.filter(target=OuterRef("pk"), status=RunStatus.OK)
        .order_by("-started", "-pk")
        .values("pk")[:1]
    )
    # one row per target: their number too, without a count of its own
    lasts = list(targets.annotate(last=Subquery(last_ok)).values_list("last", flat=True))
    last_runs = [pk for pk in lasts if pk is not None]
    counts = TlsRun.objects.filter(pk__in=last_runs).aggregate(
        failing=Count("pk", filter=Q(failed__gt=0), distinct=True),
        needs=Count("outcomes", filter=Q(outcomes__status=OutcomeStatus.NEEDS_EVIDENCE)),
    )
    return {
        "targets": len(lasts),
        "failing_targets": counts["failing"] or 0,
        "needs_evidence": counts["needs"] or 0,
        "unscheduled_internet_facing": unscheduled_internet_facing(organisation).count(),
    }


def unscheduled_internet_facing(organisation: Organisation) -> QuerySet[Any]:
    """Systems of the register that provide internet services but have no enabled TLS target
    checked on a schedule: what the periodic check of every internet-facing system misses."""
    from finres.web.registers.models import InformationSystem

    covered = TlsTarget.objects.filter(
        organisation=organisation,
        protocol=Protocol.TLS,
        enabled=True,
        schedule_days__gt=0,
        system__isnull=False,  # NOT IN over a NULL would exclude every system
    ).values("system")
    return InformationSystem.objects.filter(
        organisation=organisation, internet_facing=True
    ).exclude(pk__in=covered)


def evidence_of(outcomes: Iterable[TlsOutcome]) -> dict[int, Evidence]:
    ids = [o.evidence_record_id for o in outcomes if o.evidence_record_id]
    return {e.pk: e for e in Evidence.objects.filter(pk__in=ids)}
