"""Where evidence files are kept: the data folder (the embedded default) or an S3-compatible
object store (django-storages' S3 backend), chosen by the environment.

``FINRES_S3_BUCKET`` turns object storage on; ``FINRES_S3_ENDPOINT_URL`` (MinIO, Ceph, a
cloud's S3 API), ``FINRES_S3_REGION``, ``FINRES_S3_ACCESS_KEY_ID`` and
``FINRES_S3_SECRET_ACCESS_KEY`` (or boto3's own variables and instance roles when absent), and
``FINRES_S3_PREFIX`` (a folder inside the bucket) complete it. Files are always private: FinRes
never hands out bucket URLs; downloads go through its own authenticated view.

``s3_storage`` is read by the settings, so it imports nothing from Django.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

S3_BACKEND = "storages.backends.s3.S3Storage"
FILES = "files"
S3 = "s3"


def s3_storage(environ: Mapping[str, str] = os.environ) -> dict[str, Any] | None:
    """The ``STORAGES["default"]`` entry for object storage, or None when not configured."""
    bucket = environ.get("FINRES_S3_BUCKET", "").strip()
    if not bucket:
        return None
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": environ.get("FINRES_S3_PREFIX", "").strip("/"),
        # Private objects, never public or pre-signed links: FinRes streams every download.
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        # A download is spooled to a temporary file beyond this size, not held in memory.
        "max_memory_size": 2 * 1024 * 1024,
        "signature_version": "s3v4",
    }
    optional = {
        "endpoint_url": "FINRES_S3_ENDPOINT_URL",
        "region_name": "FINRES_S3_REGION",
        "access_key": "FINRES_S3_ACCESS_KEY_ID",
        "secret_key": "FINRES_S3_SECRET_ACCESS_KEY",
    }
    for option, variable in optional.items():
        if environ.get(variable):
            options[option] = environ[variable]
    if options.get("endpoint_url"):
        # S3-compatible servers (MinIO, Ceph, moto) address buckets by path, not host name.
        options["addressing_style"] = "path"
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


@dataclass(frozen=True)
class StorageInfo:
    kind: str  # FILES or S3
    location: str  # a folder, or s3://bucket/prefix
    endpoint: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "location": self.location, "endpoint": self.endpoint}


def evidence_storage() -> Any:
    """The storage evidence files are written to (the model field's)."""
    from finres.web.evidence.models import Evidence

    return Evidence._meta.get_field("file").storage


def is_object_storage(storage: Any = None) -> bool:
    storage = storage if storage is not None else evidence_storage()
    return hasattr(storage, "bucket_name")


def describe(storage: Any = None) -> StorageInfo:
    storage = storage if storage is not None else evidence_storage()
    if is_object_storage(storage):
        location = f"s3://{storage.bucket_name}/{storage.location}".rstrip("/")
        return StorageInfo(S3, location, storage.endpoint_url or "")
    return StorageInfo(FILES, str(Path(storage.location)))


def stored_names(storage: Any = None) -> set[str]:
    """Every file name in the storage, as the database records them."""
    storage = storage if storage is not None else evidence_storage()
    if is_object_storage(storage):
        prefix = f"{storage.location}/" if storage.location else ""
        return {
            item.key[len(prefix) :]
            for item in storage.bucket.objects.filter(Prefix=prefix)
            if not item.key.endswith("/")
        }
    folder = Path(storage.location)
    if not folder.is_dir():
        return set()
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def unreachable(storage: Any = None) -> str | None:
    """Why the object store cannot be used (no bucket, refused credentials …), or None."""
    storage = storage if storage is not None else evidence_storage()
    if not is_object_storage(storage):
        return None
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    try:
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
    except ClientError as error:
        return str(error.response.get("Error", {}).get("Code") or error)
    except BotoCoreError as error:
        return str(error)
    return None
