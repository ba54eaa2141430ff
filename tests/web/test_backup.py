"""Backup and restore (SQLite and PostgreSQL, whichever the suite runs on), and the doctor."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile

from finres.web.evidence import services
from finres.web.evidence.models import Evidence
from finres.web.ops import OpsError
from finres.web.ops import backup as ops
from finres.web.ops.doctor import MISSING_FILE, ORPHAN_FILE, evidence_findings
from finres.web.orgs.models import Organisation

PROFILES = Path(__file__).resolve().parents[2] / "examples" / "profiles"

SCRIPT = """
import hashlib, json, sys
from pathlib import Path
from finres.web import setup
setup.bootstrap()
from django.conf import settings
from django.core.files.base import ContentFile
from finres.web.audit.context import Actor, acting_as
from finres.web.audit.models import AuditEvent
from finres.web.evidence import services
from finres.web.evidence.models import Evidence
from finres.web.orgs.models import Organisation

mode = sys.argv[1]
root = Path(settings.MEDIA_ROOT)
with acting_as(Actor(None, "backup test")):
    org = Organisation.objects.order_by("pk").last()
    if mode == "populate":
        for title, text in (("policy", "資訊安全政策"), ("plan", "Continuity plan")):
            services.create_evidence(organisation=org, user=None, title=title,
                                     upload=ContentFile(text.encode(), name=title + ".txt"))
    elif mode == "change":
        services.create_evidence(organisation=org, user=None, title="new",
                                 upload=ContentFile(b"after the backup", name="new.txt"))
        (root / Evidence.objects.get(title="policy").file.name).unlink()
print(json.dumps({
    "organisations": sorted(Organisation.objects.values_list("name", flat=True)),
    "evidence": sorted(Evidence.objects.values_list("title", "file", "sha256")),
    "audit": list(AuditEvent.objects.order_by("sequence").values_list("sequence", "hash")),
    "files": {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in sorted(root.rglob("*")) if p.is_file()},
}, ensure_ascii=False))
"""


@pytest.fixture
def site_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A site of its own, on the database the suite runs on: a SQLite file in a fresh data
    folder, or a fresh PostgreSQL database beside the test database."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(FINRES_DATA_DIR=str(tmp_path / "data"), FINRES_LANG="en")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        env.pop("DATABASE_URL", None)
        yield env
        return
    import psycopg

    name = f"finres_backup_{os.getpid()}_{secrets.token_hex(3)}"
    parts = urllib.parse.urlsplit(url)
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield env
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def finres(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "finres", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def state(env: dict[str, str], mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_backup_change_restore_gives_back_the_same_site(
    site_env: dict[str, str], tmp_path: Path
) -> None:
    data = Path(site_env["FINRES_DATA_DIR"])
    added = finres(site_env, "organisation", "add", "--profile", str(PROFILES / "bank.yaml"))
    assert added.returncode == 0, added.stderr
    before = state(site_env, "populate")
    assert len(before["files"]) == 2 and before["audit"]
    keys = {
        name: (data / name).read_bytes()
        for name in ("secret_key", "audit_key")
        if (data / name).exists()
    }
    assert "secret_key" in keys

    made = finres(site_env, "backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stderr
    assert "2 evidence files" in made.stdout and "FINRES_SECRET_KEY" in made.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert {f"keys/{name}" for name in keys} <= set(manifest["files"])
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())

    # Change everything: a new organisation and evidence, a lost file, a new secret key.
    other = finres(
        site_env, "organisation", "add", "--profile", str(PROFILES / "securities-firm.yaml")
    )
    assert other.returncode == 0, other.stderr
    changed = state(site_env, "change")
    (data / "secret_key").write_text("replaced", encoding="utf-8")
    assert changed["organisations"] != before["organisations"]
    assert changed["files"] != before["files"]
    assert finres(site_env, "doctor").returncode == 1  # the lost file

    refused = finres(site_env, "restore", str(tmp_path / "backup"))
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert state(site_env, "read") == changed

    restored = finres(site_env, "restore", str(tmp_path / "backup"), "--force")
    assert restored.returncode == 0, restored.stderr
    assert state(site_env, "read") == before
    assert {name: (data / name).read_bytes() for name in keys} == keys
    assert finres(site_env, "doctor").returncode == 0
    verified = finres(site_env, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # A backup whose database cannot be loaded (its manifest made to match) changes nothing.
    damaged = tmp_path / "damaged"
    shutil.copytree(tmp_path / "backup", damaged)
    database = manifest["database"]["file"]
    (damaged / database).write_bytes(b"this is not a database\n" * 64)
    manifest["files"][database] = {
        "sha256": ops.sha256_of(damaged / database),
        "size": (damaged / database).stat().st_size,
    }
    (damaged / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (data / "secret_key").write_text("kept", encoding="utf-8")
    failed = finres(site_env, "restore", str(damaged), "--force")
    assert failed.returncode == 1, failed.stderr
    assert "Traceback" not in failed.stderr and failed.stderr.count("\n") == 1
    assert "damaged" in failed.stderr or "nothing was changed" in failed.stderr
    assert state(site_env, "read") == before
    assert (data / "secret_key").read_text(encoding="utf-8") == "kept"


def write_backup(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir()
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    manifest = {
        "format": ops.FORMAT,
        "version": ops.FORMAT_VERSION,
        "database": {"vendor": "sqlite", "file": ops.SQLITE_FILE, "migrations": []},
        "files": {
            name: {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
            for name, content in files.items()
        },
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_verify_checks_every_file_against_the_manifest(tmp_path: Path) -> None:
    write_backup(tmp_path / "b", {"database.sqlite3": b"db", "evidence/1/abc": b"evidence"})
    assert ops.verify(tmp_path / "b")["database"]["vendor"] == "sqlite"

    (tmp_path / "b" / "evidence" / "1" / "abc").write_bytes(b"tampered")
    with pytest.raises(OpsError, match="SHA-256 does not match"):
        ops.verify(tmp_path / "b")
    (tmp_path / "b" / "evidence" / "1" / "abc").unlink()
    with pytest.raises(OpsError, match="evidence/1/abc: listed in the manifest but missing"):
        ops.verify(tmp_path / "b")

    write_backup(tmp_path / "c", {"database.sqlite3": b"db"})
    (tmp_path / "c" / "extra").write_bytes(b"x")
    with pytest.raises(OpsError, match="extra: in the backup folder but not in the manifest"):
        ops.verify(tmp_path / "c")


@pytest.mark.parametrize("name", ["evidence/../../evil", "/etc/passwd", "keys/../x", "other/x"])
def test_a_manifest_cannot_name_a_file_outside_the_backup(tmp_path: Path, name: str) -> None:
    write_backup(tmp_path / "b", {"database.sqlite3": b"db"})
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][name] = {"sha256": "0" * 64, "size": 1}
    (tmp_path / "b" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(OpsError, match="unsafe file name"):
        ops.verify(tmp_path / "b")


def test_backup_refuses_a_folder_in_use_and_restore_a_folder_that_is_no_backup(
    tmp_path: Path,
) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x", encoding="utf-8")
    with pytest.raises(OpsError, match="not an empty folder"):
        ops.backup(tmp_path / "full", data_dir=tmp_path, evidence_dir=tmp_path / "e")
    with pytest.raises(OpsError, match=r"no manifest\.json: not a FinRes backup"):
        ops.verify(tmp_path / "full")
    with pytest.raises(OpsError, match="no such backup folder"):
        ops.verify(tmp_path / "nowhere")
    write_backup(tmp_path / "b", {"database.sqlite3": b"db"})
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    (tmp_path / "b" / "manifest.json").write_text(
        json.dumps({**manifest, "version": 99}), encoding="utf-8"
    )
    with pytest.raises(OpsError, match="version 99 is not supported"):
        ops.verify(tmp_path / "b")


@pytest.fixture
def evidence_dir(tmp_path: Path, settings: Any) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir()
    settings.MEDIA_ROOT = folder
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": None},
        },
    }
    return folder


def add_evidence(organisation: Organisation, title: str, content: bytes) -> Evidence:
    return services.create_evidence(
        organisation=organisation,
        user=None,
        title=title,
        upload=ContentFile(content, name=f"{title}.txt"),
    )


@pytest.mark.django_db
def test_doctor_finds_orphan_files_and_rows_without_files(
    evidence_dir: Path, make_org: Any
) -> None:
    org = make_org(name="Alpha Securities")
    kept = add_evidence(org, "kept", b"kept\n")
    lost = add_evidence(org, "lost", b"lost\n")
    assert evidence_findings(evidence_dir) == []

    # What a kill during an upload leaves behind: a file without its row, and the reverse.
    orphan = evidence_dir / str(org.pk) / "0123456789abcdef"
    orphan.write_bytes(b"half an upload")
    (evidence_dir / lost.file.name).unlink()
    # a background job's result lives beside the evidence but is not evidence
    job_result = evidence_dir / "jobs" / str(org.pk) / "0123456789abcdef"
    job_result.parent.mkdir(parents=True)
    job_result.write_bytes(b"%PDF-")

    findings = evidence_findings(evidence_dir)
    assert {(f.kind, f.subject) for f in findings} == {
        (ORPHAN_FILE, str(orphan)),
        (MISSING_FILE, str(lost.pk)),
    }
    assert str(kept.pk) not in {f.subject for f in findings}
    shutil.rmtree(evidence_dir)
    assert {f.kind for f in evidence_findings(evidence_dir)} == {MISSING_FILE}
