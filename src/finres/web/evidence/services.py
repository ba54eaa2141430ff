"""What can be done with evidence, shared by the pages and the API.

Every function takes objects already reached through the organisation-scoped querysets and
checks the cross-object rules itself (a link never joins two organisations), so neither the
pages nor the API can bypass them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finres.web.assessments.models import RequirementResult
from finres.web.audit import log
from finres.web.evidence import files
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.orgs.models import Organisation

validate_link_url = URLValidator(
    schemes=["http", "https"],
    message=_("Enter a valid web address that starts with http:// or https://."),
)
APPROVED = str(Evidence.Review.APPROVED)
REJECTED = str(Evidence.Review.REJECTED)


def check_dates(effective: dt.date | None, expiry: dt.date | None) -> None:
    if effective and expiry and expiry < effective:
        raise ValidationError(
            {"expiry_date": _("The expiry date cannot be before the effective date.")},
            code="dates",
        )


def evidence_for(organisation: Organisation) -> QuerySet[Evidence]:
    """The organisation's evidence with the people and newer version every list shows.

    Link counts are not part of it (a grouped count over every link before taking a page):
    lists take their page first, then ``attach_link_counts`` counts that page's links.
    """
    return Evidence.objects.filter(organisation=organisation).select_related(
        "uploaded_by", "reviewer", "superseded_by"
    )


def attach_link_counts(rows: Iterable[Evidence]) -> list[Evidence]:
    """Set ``link_count`` on each piece of evidence of a page: one grouped query over the
    (evidence, result) index, whatever the number of links in the organisation."""
    rows = list(rows)
    counts = dict(
        EvidenceLink.objects.filter(evidence_id__in=[row.pk for row in rows])
        .order_by()
        .values_list("evidence_id")
        .annotate(n=Count("pk"))
        .values_list("evidence_id", "n")
    )
    for row in rows:
        row.link_count = counts.get(row.pk, 0)
    return rows


def is_current_q() -> Q:
    """Evidence no newer version supersedes: "no row names it as the one it supersedes", over
    that column's unique index. (The equivalent left join on ``superseded_by`` made SQLite,
    once analysed, build a temporary index over every evidence row on each list.)"""
    return Q(~Exists(Evidence.objects.filter(supersedes=OuterRef("pk"))))


def create_evidence(
    *,
    organisation: Organisation,
    user: Any,
    title: str,
    description: str = "",
    effective_date: dt.date | None = None,
    expiry_date: dt.date | None = None,
    upload: File | None = None,
    url: str = "",
    supersedes: Evidence | None = None,
    results: Iterable[RequirementResult] = (),
) -> Evidence:
    """A new piece of evidence (a file or a link), optionally a new version of ``supersedes``
    (whose links it takes over) and supporting ``results``; all or nothing."""
    check_dates(effective_date, expiry_date)
    if (upload is None) == (not url):
        raise ValidationError(_("Give either a file or a link."), code="kind")
    if supersedes is not None:
        _check_may_supersede(supersedes, organisation)
    results = list(results)
    evidence = Evidence(
        organisation=organisation,
        title=title,
        description=description,
        effective_date=effective_date,
        expiry_date=expiry_date,
        uploaded_by=user if getattr(user, "pk", None) else None,
        supersedes=supersedes,
    )

    def then(saved: Evidence) -> None:
        if supersedes is not None:
            _take_over_links(supersedes, saved)
        for result in results:
            link(saved, result, user)

    try:
        if upload is not None:
            checked = _field_errors("file", files.check_file, upload)
            files.save_with_file(evidence, upload, checked, then)
        else:
            _field_errors("url", validate_link_url, url)
            evidence.kind = Evidence.Kind.LINK
            evidence.url = url
            with transaction.atomic():
                evidence.save()
                then(evidence)
    except IntegrityError:
        # The only constraint a valid request can still hit: two new versions of one piece
        # of evidence at the same moment.
        raise ValidationError(
            _("This evidence already has a newer version."), code="superseded"
        ) from None
    return evidence


def _field_errors(field: str, check: Any, value: Any) -> Any:
    """Run ``check(value)``, attaching its errors to ``field`` for forms and serializers."""
    try:
        return check(value)
    except ValidationError as error:
        raise ValidationError({field: error.error_list}) from None


def _check_may_supersede(previous: Evidence, organisation: Organisation) -> None:
    if previous.organisation_id != organisation.pk:
        raise ValidationError(_("The previous version belongs to another organisation."))
    if not previous.is_current:
        raise ValidationError(
            _("This evidence already has a newer version; add the new version to that one."),
            code="superseded",
        )


def _take_over_links(previous: Evidence, new: Evidence) -> None:
    """The new version supports what the previous one did; the previous keeps its history."""
    moved = list(EvidenceLink.objects.filter(evidence=previous).values_list("pk", flat=True))
    if not moved:
        return
    EvidenceLink.objects.filter(pk__in=moved).update(evidence=new)
    log.append(
        "update",
        "evidence.evidencelink",
        new.pk,
        f"{previous} → {new}",
        {"evidence_id": [previous.pk, new.pk], "links": moved},
        new.organisation_id,
    )


def update_metadata(evidence: Evidence, changes: Mapping[str, Any]) -> Evidence:
    """Change what describes the evidence (never the file, its hash or its review)."""
    allowed = {"title", "description", "effective_date", "expiry_date"}
    if evidence.kind == Evidence.Kind.LINK:
        allowed.add("url")
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s."),
            params={"fields": ", ".join(sorted(unknown))},
        )
    values = {field: getattr(evidence, field) for field in allowed} | dict(changes)
    check_dates(values["effective_date"], values["expiry_date"])
    if "url" in changes:
        _field_errors("url", validate_link_url, changes["url"])
    for field, value in changes.items():
        setattr(evidence, field, value)
    evidence.save()
    return evidence


def link(evidence: Evidence, result: RequirementResult, user: Any) -> EvidenceLink:
    """Let ``evidence`` support ``result``; both must belong to the same organisation."""
    if (
        result.organisation_id != evidence.organisation_id
        or result.assessment.organisation_id != evidence.organisation_id
    ):
        raise ValidationError(
            _("Evidence can only support results of its own organisation."), code="organisation"
        )
    if not evidence.is_current:
        raise ValidationError(
            _("This is an earlier version; link the current version instead."), code="superseded"
        )
    if EvidenceLink.objects.filter(evidence=evidence, result=result).exists():
        raise ValidationError(
            _("This evidence already supports that requirement."), code="duplicate"
        )
    try:
        with transaction.atomic():
            return EvidenceLink.objects.create(
                organisation=evidence.organisation,
                evidence=evidence,
                result=result,
                created_by=user if getattr(user, "pk", None) else None,
            )
    except IntegrityError:
        raise ValidationError(
            _("This evidence already supports that requirement."), code="duplicate"
        ) from None


def unlink(evidence_link: EvidenceLink) -> None:
    evidence_link.delete()


def review(evidence: Evidence, user: Any, decision: str, comment: str = "") -> Evidence:
    if decision not in (APPROVED, REJECTED):
        raise ValidationError(_("Choose approve or reject."), code="decision")
    if decision == REJECTED and not comment.strip():
        raise ValidationError({"comment": _("Say why the evidence is rejected.")}, code="comment")
    if user is not None and evidence.uploaded_by_id == getattr(user, "pk", None):
        raise ValidationError(
            _("You uploaded this evidence: another person must review it."), code="own_evidence"
        )
    evidence.review_state = decision
    evidence.reviewer = user
    evidence.reviewed_at = timezone.now()
    evidence.review_comment = comment.strip()
    evidence.save(update_fields=["review_state", "reviewer", "reviewed_at", "review_comment"])
    return evidence


def delete(evidence: Evidence) -> None:
    """Delete evidence that supports nothing and is not kept as the history of a newer one."""
    count = evidence.links.count()
    if count:
        raise ValidationError(
            _("This evidence still supports %(count)s requirement results; unlink them first."),
            code="linked",
            params={"count": count},
        )
    if not evidence.is_current:
        raise ValidationError(
            _("Earlier versions are kept as history and cannot be deleted."), code="history"
        )
    with transaction.atomic():
        evidence.delete()
        files.delete_stored_after_commit(evidence)


@dataclass(frozen=True)
class Integrity:
    status: str  # "ok", "mismatch", "missing" (file gone) or "link" (nothing to check)
    recorded: str
    actual: str | None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def verify(evidence: Evidence) -> Integrity:
    """Hash the stored file again and compare with the SHA-256 recorded at upload.

    The check itself is written to the audit trail, so that an inspector can see when the
    evidence was last proven intact and by whom.
    """
    if evidence.kind != Evidence.Kind.FILE:
        return Integrity("link", "", None)
    actual = files.hash_stored(evidence)
    if actual is None:
        status = "missing"
    elif actual == evidence.sha256:
        status = "ok"
    else:
        status = "mismatch"
    log.append(
        "verify",
        "evidence.evidence",
        evidence.pk,
        str(evidence),
        {"status": status, "sha256": evidence.sha256, "actual": actual},
        evidence.organisation_id,
    )
    return Integrity(status, evidence.sha256, actual)
