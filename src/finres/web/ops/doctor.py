"""``finres doctor``: what does not fit together on a site.

- evidence files in the evidence folder that no database row refers to (orphans: an upload
  cut short after its file was written, or a row removed by hand);
- evidence rows of kind "file" whose file is missing (a kill during upload, a lost disk, a
  restore of the database without its files);
- database migrations not applied yet;
- an object store (S3) that cannot be reached.

Evidence files are looked for where the site keeps them: the evidence folder, or the bucket
and prefix of ``FINRES_S3_BUCKET`` (``ops.storage``).

It only reads and reports; every finding names the file or the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from finres.core.i18n import N_

ORPHAN_FILE = "orphan_file"
MISSING_FILE = "missing_file"
PENDING_MIGRATIONS = "pending_migrations"
STORAGE_UNREACHABLE = "storage_unreachable"

MESSAGES = {
    ORPHAN_FILE: N_("evidence file without a database row: {subject}"),
    MISSING_FILE: N_("evidence #{subject} has no file ({detail})"),
    PENDING_MIGRATIONS: N_("database migrations not applied: {detail} (run finres setup)"),
    STORAGE_UNREACHABLE: N_("evidence storage {subject} cannot be used: {detail}"),
}


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "subject": self.subject, "detail": self.detail}


def evidence_findings(evidence_dir: Path | None = None) -> list[Finding]:
    from django.conf import settings

    from finres.web.evidence.models import Evidence
    from finres.web.jobs.services import RESULT_FOLDER as JOBS_FOLDER
    from finres.web.ops import storage

    if evidence_dir is None and storage.is_object_storage():
        place = storage.describe().location
        problem = storage.unreachable()
        if problem:
            return [Finding(STORAGE_UNREACHABLE, place, problem)]
        stored = storage.stored_names()
    else:
        folder = Path(evidence_dir if evidence_dir is not None else settings.MEDIA_ROOT)
        place = str(folder)
        stored = set()
        if folder.is_dir():
            stored = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    findings: list[Finding] = []
    referenced: set[str] = set()
    rows = Evidence._base_manager.filter(kind=Evidence.Kind.FILE).values_list("pk", "file")
    for pk, name in rows.order_by("pk").iterator():
        if not name:
            findings.append(Finding(MISSING_FILE, str(pk), "no file name recorded"))
            continue
        referenced.add(name)
        if name not in stored:
            findings.append(Finding(MISSING_FILE, str(pk), f"{place}/{name}"))
    # A link may still carry a file name (it should not): it is not an orphan then.
    referenced |= set(
        Evidence._base_manager.exclude(kind=Evidence.Kind.FILE)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    # Background jobs keep their results and uploads in the same storage, under their own folder,
    # and remove them when they expire: they are not evidence.
    jobs_folder = f"{JOBS_FOLDER}/"
    for name in sorted(stored - referenced):
        if not name.startswith(jobs_folder):
            findings.append(Finding(ORPHAN_FILE, f"{place}/{name}"))
    return findings


def migration_findings() -> list[Finding]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return []
    names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
    if len(plan) > 5:
        names += ", …"
    return [Finding(PENDING_MIGRATIONS, str(len(plan)), names)]


def examine(evidence_dir: Path | None = None) -> list[Finding]:
    """Every finding; evidence is only examined once the database schema is current."""
    findings = migration_findings()
    if findings:
        return findings
    return evidence_findings(evidence_dir)
