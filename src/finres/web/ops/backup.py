"""``finres backup`` and ``finres restore``: the database, the evidence files and the keys.

A backup is a folder::

    manifest.json          what is inside, with the SHA-256 and size of every other file
    database.sqlite3       SQLite: a copy made with SQLite's online backup API
    database.json          PostgreSQL: every table, serialised by Django in one snapshot
    evidence/<org>/<name>  the evidence files the database refers to
    keys/secret_key        the key files of the data folder, when present
    keys/audit_key

Consistency while the server runs: the database is copied first, as one snapshot (SQLite's
backup API; a REPEATABLE READ, READ ONLY transaction on PostgreSQL), and then exactly the
evidence files that this snapshot refers to are copied. Evidence files are never changed in
place (a new version is a new file), so the files match the snapshot. A file uploaded after
the snapshot is not in the backup, and neither is its row.

Restore is all or nothing: every hash is checked before anything is touched; the files are
staged beside their destination; the database is replaced in one transaction; only then are
the staged evidence folder and keys moved into place. It refuses a site that already holds
organisations, people or evidence files unless ``force`` is given.

Keys given in the environment (``FINRES_SECRET_KEY`` and other ``FINRES_*`` variables) are
not in the data folder and are not backed up: the operator keeps them with the site's
configuration.

Evidence in object storage (``FINRES_S3_BUCKET``): the files are not copied. The manifest
records the bucket and prefix and the names of every file the database snapshot refers to, and
the report says so: the operator backs the bucket up with the object store's own means
(versioning, replication, lifecycle rules; files are never changed in place, so versioning
keeps every one). Restore puts the database and keys back and expects the same bucket; it
refuses a backup whose evidence lives elsewhere than the site's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from finres.core.i18n import N_
from finres.web.ops import OpsError

FORMAT = "finres-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KEY_FILES = ("secret_key", "audit_key")
SQLITE_FILE = "database.sqlite3"
JSON_FILE = "database.json"
CHUNK = 1024 * 1024


@dataclass
class BackupReport:
    path: Path
    vendor: str
    evidence_files: int
    keys: list[str]
    missing_evidence: list[str] = field(default_factory=list)
    bytes: int = 0
    # Evidence in object storage: where, and how many files the snapshot refers to there.
    evidence_storage: str = ""
    evidence_in_storage: int = 0


@dataclass
class RestoreReport:
    vendor: str
    evidence_files: int
    keys: list[str]
    migrated: bool


# --- helpers ------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _settings_paths(data_dir: Path | None, evidence_dir: Path | None) -> tuple[Path, Path]:
    from django.conf import settings

    data = Path(data_dir if data_dir is not None else settings.DATA_DIR)
    evidence = Path(evidence_dir if evidence_dir is not None else settings.MEDIA_ROOT)
    return data, evidence


def _safe_relative(name: str) -> PurePosixPath:
    """A stored or listed file name as a relative path that stays inside its folder."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
        raise OpsError(N_("unsafe file name in the backup: {name!r}"), name=name)
    return path


def _applied_migrations() -> list[list[str]]:
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    return sorted([app, name] for app, name in recorder.applied_migrations())


def _evidence_table() -> tuple[str, str]:
    from finres.web.evidence.models import Evidence

    return Evidence._meta.db_table, Evidence._meta.get_field("file").column


# --- backup -------------------------------------------------------------------------------------


def backup(
    destination: Path, data_dir: Path | None = None, evidence_dir: Path | None = None
) -> BackupReport:
    """Write a backup folder at ``destination`` (which must not exist yet, or be empty)."""
    from django.db import connection

    import finres
    from finres.web.ops import storage

    in_bucket = evidence_dir is None and storage.is_object_storage()
    data_dir, evidence_dir = _settings_paths(data_dir, evidence_dir)
    destination = Path(destination)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise OpsError(N_("{path} already exists and is not an empty folder"), path=destination)
    partial = destination.with_name(destination.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True, mode=0o700)
    try:
        vendor = connection.vendor
        if vendor == "sqlite":
            database_file = SQLITE_FILE
            names = _backup_sqlite(partial / SQLITE_FILE)
        elif vendor == "postgresql":
            database_file = JSON_FILE
            names = _backup_postgresql(partial / JSON_FILE)
        else:
            raise OpsError(N_("backup does not support the {vendor} database"), vendor=vendor)
        migrations = _applied_migrations()
        missing: list[str] = []
        copied = 0
        bucket: dict[str, Any] | None = None
        if in_bucket:
            bucket = {**storage.describe().as_dict(), "files": sorted(set(names))}
            names = []  # kept in the bucket, backed up with the object store's means
        for name in sorted(set(names)):
            relative = _safe_relative(name)
            source = evidence_dir / relative
            if not source.is_file():
                missing.append(name)
                continue
            target = partial / "evidence" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied += 1
        keys = []
        for key in KEY_FILES:
            source = data_dir / key
            if source.is_file():
                (partial / "keys").mkdir(exist_ok=True, mode=0o700)
                shutil.copy2(source, partial / "keys" / key)
                (partial / "keys" / key).chmod(0o600)
                keys.append(key)
        files = {}
        total = 0
        for path in sorted(partial.rglob("*")):
            if path.is_file():
                relative_name = path.relative_to(partial).as_posix()
                size = path.stat().st_size
                files[relative_name] = {"sha256": sha256_of(path), "size": size}
                total += size
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "finres_version": finres.__version__,
            "database": {"vendor": vendor, "file": database_file, "migrations": migrations},
            "evidence_files": copied,
            "missing_evidence": missing,
            "evidence_storage": bucket,
            "keys": keys,
            "not_included": "keys given in the environment (FINRES_SECRET_KEY, other FINRES_*)",
            "files": files,
        }
        (partial / MANIFEST).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        if destination.exists():
            destination.rmdir()
        partial.rename(destination)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    report = BackupReport(destination, vendor, copied, keys, missing, total)
    if bucket:
        report.evidence_storage = bucket["location"]
        report.evidence_in_storage = len(bucket["files"])
    return report


def _backup_sqlite(target: Path) -> list[str]:
    """One consistent copy with the online backup API; returns the evidence file names in it."""
    from django.db import connection

    connection.ensure_connection()
    live = connection.connection
    copy = sqlite3.connect(target)
    try:
        live.backup(copy)  # all pages in one step: a single snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        table, column = _evidence_table()
        rows = copy.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" != \'\'')
        names = [row[0] for row in rows]
        (check,) = copy.execute("PRAGMA integrity_check").fetchone()
        if check != "ok":
            raise OpsError(
                N_("the database copy failed its integrity check: {detail}"), detail=check
            )
    finally:
        copy.close()
    return names


def _backup_postgresql(target: Path) -> list[str]:
    """Every table through Django's serialiser, in one REPEATABLE READ, READ ONLY snapshot."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from finres.web.evidence.models import Evidence

    if connection.in_atomic_block:
        raise OpsError(N_("backup must not run inside a database transaction"))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        call_command(
            "dumpdata",
            format="json",
            output=str(target),
            use_base_manager=True,
            verbosity=0,
        )
        names = list(
            Evidence._base_manager.exclude(file="").values_list("file", flat=True).iterator()
        )
    return names


# --- restore ------------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    path = Path(source) / MANIFEST
    if not Path(source).is_dir():
        raise OpsError(N_("{path}: no such backup folder"), path=source)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OpsError(N_("{path}: no manifest.json: not a FinRes backup"), path=source) from None
    except (OSError, ValueError) as error:
        raise OpsError(N_("{path}: unreadable manifest: {error}"), path=path, error=error) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise OpsError(N_("{path}: not a FinRes backup manifest"), path=path)
    if manifest.get("version") != FORMAT_VERSION:
        raise OpsError(
            N_("{path}: backup format version {version} is not supported"),
            path=path,
            version=manifest.get("version"),
        )
    return manifest


def verify(source: Path) -> dict[str, Any]:
    """Check every file of a backup against its manifest; return the manifest."""
    source = Path(source)
    manifest = read_manifest(source)
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise OpsError(N_("{path}: the manifest lists no files"), path=source)
    database_file = manifest.get("database", {}).get("file")
    if database_file not in (SQLITE_FILE, JSON_FILE) or database_file not in files:
        raise OpsError(N_("{path}: the manifest names no database file"), path=source)
    for name, entry in files.items():
        relative = _safe_relative(name)
        if relative.parts[0] not in ("evidence", "keys") and name not in (SQLITE_FILE, JSON_FILE):
            raise OpsError(N_("unsafe file name in the backup: {name!r}"), name=name)
        path = source / relative
        if not path.is_file():
            raise OpsError(N_("{name}: listed in the manifest but missing"), name=name)
        if path.stat().st_size != entry.get("size") or sha256_of(path) != entry.get("sha256"):
            raise OpsError(N_("{name}: its SHA-256 does not match the manifest"), name=name)
    listed = set(files)
    for path in source.rglob("*"):
        name = path.relative_to(source).as_posix()
        if path.is_file() and name != MANIFEST and name not in listed:
            raise OpsError(N_("{name}: in the backup folder but not in the manifest"), name=name)
    return manifest


def site_is_empty(evidence_dir: Path | None = None) -> bool:
    from django.contrib.auth import get_user_model

    from finres.web.orgs.models import Organisation

    _, evidence_dir = _settings_paths(None, evidence_dir)
    if Organisation.objects.exists() or get_user_model().objects.exists():
        return False
    return not (evidence_dir.is_dir() and any(p.is_file() for p in evidence_dir.rglob("*")))


def restore(
    source: Path,
    force: bool = False,
    data_dir: Path | None = None,
    evidence_dir: Path | None = None,
) -> RestoreReport:
    """Replace the site's database, evidence files and key files with a backup's."""
    from django.db import connection

    from finres.web.ops import storage

    in_bucket = evidence_dir is None and storage.is_object_storage()
    data_dir, evidence_dir = _settings_paths(data_dir, evidence_dir)
    source = Path(source)
    manifest = verify(source)
    _check_evidence_storage(manifest, storage.describe().location if in_bucket else None)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise OpsError(
            N_("this backup is of a {backup} database; the site uses {site}"),
            backup=vendor,
            site=connection.vendor,
        )
    _check_migrations(manifest)
    if not force and not site_is_empty(None if in_bucket else evidence_dir):
        raise OpsError(
            N_("the site already holds data: restoring replaces all of it (use --force)")
        )
    files = manifest["files"]
    evidence_names = [name for name in files if name.startswith("evidence/")]
    key_names = [name for name in files if name.startswith("keys/")]
    for name in key_names:
        if PurePosixPath(name).name not in KEY_FILES:
            raise OpsError(N_("unsafe file name in the backup: {name!r}"), name=name)

    if in_bucket:  # the files stay in the bucket; a folder is staged empty and not used
        evidence_dir = data_dir / ".evidence-in-object-storage"
    # 1. Stage the evidence files and keys beside their destinations.
    staged = evidence_dir.with_name(evidence_dir.name + ".restoring")
    if staged.exists():
        shutil.rmtree(staged)
    staged.mkdir(parents=True)
    staged_keys: list[tuple[Path, Path]] = []
    try:
        for name in evidence_names:
            relative = PurePosixPath(name).relative_to("evidence")
            target = staged / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target)
        data_dir.mkdir(parents=True, exist_ok=True)
        for name in key_names:
            key = PurePosixPath(name).name
            temporary = data_dir / f".{key}.restoring"
            shutil.copy2(source / name, temporary)
            temporary.chmod(0o600)
            staged_keys.append((temporary, data_dir / key))

        # 2. The database, in one transaction.
        if vendor == "sqlite":
            _restore_sqlite(source / SQLITE_FILE)
        else:
            _restore_postgresql(source / JSON_FILE)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        for temporary, _ in staged_keys:
            temporary.unlink(missing_ok=True)
        raise

    # 3. Move the staged files into place.
    previous = evidence_dir.with_name(evidence_dir.name + ".before-restore")
    if previous.exists():
        shutil.rmtree(previous)
    if evidence_dir.exists():
        evidence_dir.rename(previous)
    staged.rename(evidence_dir)
    shutil.rmtree(previous, ignore_errors=True)
    if in_bucket:
        shutil.rmtree(evidence_dir, ignore_errors=True)
    for temporary, final in staged_keys:
        os.replace(temporary, final)
    migrated = _migrate_if_needed()
    return RestoreReport(
        vendor, len(evidence_names), [PurePosixPath(n).name for n in key_names], migrated
    )


def _check_evidence_storage(manifest: dict[str, Any], site_bucket: str | None) -> None:
    """A backup's evidence must end up where the site looks for it."""
    recorded = manifest.get("evidence_storage") or None
    backup_bucket = recorded["location"] if recorded else None
    if backup_bucket == site_bucket:
        return
    if backup_bucket is None:
        raise OpsError(
            N_(
                "this backup holds its evidence files, but the site keeps evidence in {site}: "
                "restore on a site without FINRES_S3_BUCKET, or copy the files into the bucket"
            ),
            site=site_bucket,
        )
    raise OpsError(
        N_("this backup's evidence files are in {bucket}; configure the site to use it"),
        bucket=backup_bucket,
    )


def _check_migrations(manifest: dict[str, Any]) -> None:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    backup_migrations = {tuple(item) for item in manifest["database"].get("migrations", [])}
    known = set(MigrationLoader(connection, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(backup_migrations - known)
    if unknown:
        raise OpsError(
            N_("this backup was made by a newer FinRes (unknown migrations: {names})"),
            names=", ".join(f"{app}.{name}" for app, name in unknown[:5]),
        )
    if connection.vendor != "sqlite":
        applied = {tuple(item) for item in _applied_migrations()}
        if applied != backup_migrations:
            raise OpsError(
                N_(
                    "the database schema differs from the backup's: restore with the FinRes "
                    "version that made it"
                )
            )


def _restore_sqlite(backup_file: Path) -> None:
    """Copy the backup into the live database with the backup API: one write transaction."""
    from django.db import connection

    copy = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        try:
            (check,) = copy.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError as error:
            check = str(error)
        if check != "ok":
            raise OpsError(N_("the database in the backup is damaged: {detail}"), detail=check)
        connection.ensure_connection()
        copy.backup(connection.connection)
    finally:
        copy.close()


def _restore_postgresql(dump: Path) -> None:
    """Empty every table and load the dump, in one transaction: all or nothing."""
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.core.serializers.base import DeserializationError
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic():
            tables = connection.introspection.django_table_names(
                only_existing=True, include_views=False
            )
            statements = connection.ops.sql_flush(
                no_style(), tables, reset_sequences=True, allow_cascade=True
            )
            connection.ops.execute_sql_flush(statements)
            call_command("loaddata", str(dump), verbosity=0)
    except (DeserializationError, DatabaseError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise OpsError(
            N_("the database in the backup cannot be loaded (nothing was changed): {detail}"),
            detail=detail,
        ) from None


def _migrate_if_needed() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return True
