"""Evidence in S3-compatible object storage: django-storages' S3 backend talking HTTP to a real
S3 server on loopback (moto's server mode), through FinRes's upload, download, integrity,
deletion, doctor and backup code paths. The bucket is never exposed to a browser."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from moto.server import ThreadedMotoServer

from finres.web.evidence import files
from finres.web.evidence.models import Evidence
from finres.web.ops import OpsError, doctor, storage
from finres.web.ops import backup as ops
from finres.web.orgs.roles import Role

from .test_evidence import PDF_BYTES, upload
from .test_operations import free_port

pytestmark = pytest.mark.django_db

KEYS = {"FINRES_S3_ACCESS_KEY_ID": "finres-test", "FINRES_S3_SECRET_ACCESS_KEY": "not-a-secret"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str) -> Iterator[Any]:
    """A fresh bucket, and the site's evidence storage pointed at it (with a prefix)."""
    name = f"finres-{secrets.token_hex(4)}"
    s3 = boto3.resource(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="ap-northeast-1",
        aws_access_key_id=KEYS["FINRES_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["FINRES_S3_SECRET_ACCESS_KEY"],
    )
    created = s3.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    entry = storage.s3_storage(
        {
            "FINRES_S3_BUCKET": name,
            "FINRES_S3_ENDPOINT_URL": s3_endpoint,
            "FINRES_S3_REGION": "ap-northeast-1",
            "FINRES_S3_PREFIX": "site-a/evidence",
            **KEYS,
        }
    )
    assert entry is not None
    with override_settings(STORAGES={**settings.STORAGES, "default": entry}):
        yield created


def keys_in(bucket: Any) -> set[str]:
    return {item.key for item in bucket.objects.all()}


def test_settings_entry_from_the_environment() -> None:
    assert storage.s3_storage({}) is None
    entry = storage.s3_storage({"FINRES_S3_BUCKET": "evidence", "FINRES_S3_PREFIX": "/a/b/"})
    assert entry is not None
    options = entry["OPTIONS"]
    assert entry["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "evidence" and options["location"] == "a/b"
    assert options["default_acl"] is None and options["file_overwrite"] is False
    assert "endpoint_url" not in options and "access_key" not in options  # boto3's own chain


def test_upload_download_verify_and_delete_through_the_bucket(
    bucket: Any, client_for: Any, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert storage.is_object_storage()
    owner = client_for(Role.CONTROL_OWNER, org)
    response = owner.post(
        reverse("evidence:create"),
        {
            "kind": "file",
            "title": "Penetration test report",
            "file": upload("報告 report.pdf", PDF_BYTES),
            "effective_date": "2026-01-01",
        },
    )
    assert response.status_code == 302, response.content[:500]
    evidence = Evidence.objects.get(organisation=org)
    assert evidence.file.name.startswith(f"{org.pk}/")
    # The object is in the bucket, under the prefix and the generated name; not on disk.
    assert keys_in(bucket) == {f"site-a/evidence/{evidence.file.name}"}
    assert not (Path(settings.MEDIA_ROOT) / evidence.file.name).exists()
    stored = bucket.Object(f"site-a/evidence/{evidence.file.name}").get()["Body"].read()
    assert stored == PDF_BYTES
    assert files.hash_stored(evidence) == hashlib.sha256(PDF_BYTES).hexdigest()

    # Download: FinRes's own view streams the object as an attachment, to members only.
    url = reverse("evidence:download", args=[evidence.pk])
    auditor = client_for(Role.AUDITOR, org)
    answer = auditor.get(url)
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == PDF_BYTES
    assert answer["Content-Disposition"].startswith("attachment")
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Cache-Control"] == "private, no-store"
    assert "Location" not in answer  # no redirect to a bucket URL
    page = auditor.get(reverse("evidence:detail", args=[evidence.pk])).content.decode()
    assert bucket.name not in page and "X-Amz" not in page
    assert client_for(Role.BOARD, org).get(url).status_code == 403
    assert Client().get(url).status_code == 302

    # Integrity check through the web, then deletion removes the object after the commit.
    owner.post(reverse("evidence:verify", args=[evidence.pk]))
    assert doctor.evidence_findings() == []
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post(reverse("evidence:delete", args=[evidence.pk])).status_code == 302
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert keys_in(bucket) == set()


def test_doctor_finds_orphans_and_missing_objects_in_the_bucket(
    bucket: Any, client_for: Any, org: Any
) -> None:
    owner = client_for(Role.CONTROL_OWNER, org)
    for title in ("one", "two"):
        owner.post(
            reverse("evidence:create"),
            {"kind": "file", "title": title, "file": upload(f"{title}.pdf", PDF_BYTES)},
        )
    first, second = Evidence.objects.filter(organisation=org).order_by("pk")
    bucket.Object(f"site-a/evidence/{first.file.name}").delete()
    bucket.put_object(Key="site-a/evidence/stray/left-over.pdf", Body=b"x")
    bucket.put_object(Key="another-site/not-ours.pdf", Body=b"x")  # outside the prefix
    found = {(f.kind, f.subject) for f in doctor.evidence_findings()}
    where = storage.describe().location
    assert where == f"s3://{bucket.name}/site-a/evidence"
    assert found == {
        (doctor.MISSING_FILE, str(first.pk)),
        (doctor.ORPHAN_FILE, f"{where}/stray/left-over.pdf"),
    }
    assert second.file.name  # still there, no finding


def test_doctor_reports_a_bucket_it_cannot_reach(s3_endpoint: str) -> None:
    entry = storage.s3_storage(
        {"FINRES_S3_BUCKET": "no-such-bucket", "FINRES_S3_ENDPOINT_URL": s3_endpoint, **KEYS}
    )
    assert entry is not None
    with override_settings(STORAGES={**settings.STORAGES, "default": entry}):
        findings = doctor.evidence_findings()
    assert [f.kind for f in findings] == [doctor.STORAGE_UNREACHABLE]
    assert findings[0].subject == "s3://no-such-bucket"


def test_backup_records_the_bucket_and_restore_expects_it(
    bucket: Any, client_for: Any, org: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = client_for(Role.CONTROL_OWNER, org)
    owner.post(
        reverse("evidence:create"),
        {"kind": "file", "title": "policy", "file": upload("policy.pdf", PDF_BYTES)},
    )
    evidence = Evidence.objects.get(organisation=org)

    # The database copy itself is tested in test_backup.py (in a process of its own: it cannot
    # run inside this test's open transaction); here, the names it would return.
    def snapshot(target: Path) -> list[str]:
        target.write_bytes(b"snapshot")
        return [name for name in Evidence.objects.values_list("file", flat=True) if name]

    monkeypatch.setattr(ops, "_backup_sqlite", snapshot)
    monkeypatch.setattr(ops, "_backup_postgresql", snapshot)
    report = ops.backup(tmp_path / "backup", data_dir=tmp_path / "data")
    assert report.evidence_files == 0 and not report.missing_evidence
    assert report.evidence_storage == f"s3://{bucket.name}/site-a/evidence"
    assert report.evidence_in_storage == 1
    manifest = ops.read_manifest(tmp_path / "backup")
    assert manifest["evidence_storage"]["files"] == [evidence.file.name]
    assert not (tmp_path / "backup" / "evidence").exists()
    # A site that keeps its evidence on disk refuses it (its files would be missing).
    with (
        override_settings(
            STORAGES={
                **settings.STORAGES,
                "default": {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "evidence")},
                },
            }
        ),
        pytest.raises(OpsError, match="configure the site"),
    ):
        ops.restore(tmp_path / "backup", force=True, data_dir=tmp_path / "data")
