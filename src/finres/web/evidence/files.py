"""Checking and storing evidence files.

A file is accepted by what it contains, never by its name or the content type the browser
claims: the first bytes (and, for Office documents, the package's ``[Content_Types].xml``)
decide its type, and the name must end in an extension of that type. The SHA-256 and the size
are computed while the file is read in chunks, so a large upload is never held in memory.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any
from xml.etree import ElementTree

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from finres.web.evidence.models import Evidence, evidence_path

CHUNK_SIZE = 64 * 1024
# Office packages: [Content_Types].xml is a few kilobytes; anything far larger is not one.
CONTENT_TYPES_MAX_BYTES = 256 * 1024
ZIP_MAX_MEMBERS = 10_000

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

# What each accepted type may be called.
EXTENSIONS: dict[str, frozenset[str]] = {
    PDF: frozenset({".pdf"}),
    PNG: frozenset({".png"}),
    JPEG: frozenset({".jpg", ".jpeg"}),
    TEXT: frozenset({".txt", ".log", ".md"}),
    CSV: frozenset({".csv"}),
    XLSX: frozenset({".xlsx"}),
    DOCX: frozenset({".docx"}),
    PPTX: frozenset({".pptx"}),
}
TYPE_NAMES: dict[str, Any] = {
    PDF: _("a PDF document"),
    PNG: _("a PNG image"),
    JPEG: _("a JPEG image"),
    TEXT: _("plain text"),
    CSV: _("plain text"),
    XLSX: _("an Excel workbook (XLSX)"),
    DOCX: _("a Word document (DOCX)"),
    PPTX: _("a PowerPoint presentation (PPTX)"),
}
# The content type of the main part of each Office Open XML package that we accept. Their
# macro-enabled siblings (.xlsm, .docm, .pptm) have other main types and are refused.
OOXML_MAIN_PARTS: dict[str, str] = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
ACCEPTED_DESCRIPTION = _(
    "Accepted: PDF, PNG, JPEG, plain text or CSV (UTF-8, UTF-16 or Big5), "
    "and Word, Excel or PowerPoint documents without macros (DOCX, XLSX, PPTX)."
)

# Characters that never occur in a text file (C0 controls other than tab, newlines, form feed).
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_TEXT_ENCODINGS = ("utf-8-sig", "cp950")
_CONTROL_IN_NAME = re.compile("[\x00-\x1f\x7f]")


def max_bytes() -> int:
    return int(settings.FINRES_EVIDENCE_MAX_BYTES)


@dataclass(frozen=True)
class CheckedFile:
    """What the checks established about an accepted file."""

    original_name: str
    content_type: str
    size: int
    sha256: str


class _TextSniffer:
    """Decides, chunk by chunk, whether the bytes are text in one of the accepted encodings."""

    def __init__(self, head: bytes) -> None:
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encodings: tuple[str, ...] = ("utf-16",)
        else:
            encodings = _TEXT_ENCODINGS
        self.decoders = {name: codecs.getincrementaldecoder(name)() for name in encodings}

    def feed(self, chunk: bytes, final: bool = False) -> None:
        for name, decoder in list(self.decoders.items()):
            try:
                text = decoder.decode(chunk, final)
            except UnicodeDecodeError:
                del self.decoders[name]
                continue
            if _CONTROL.search(text):
                del self.decoders[name]

    @property
    def is_text(self) -> bool:
        return bool(self.decoders)


def _magic_type(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _describe_magic(head: bytes) -> Any:
    """A name for common kinds we refuse, so that the message says what the file really is."""
    known = {
        b"MZ": _("Windows executable"),
        b"\x7fELF": _("Linux executable"),
        b"Rar!": _("RAR archive"),
        b"7z\xbc\xaf": _("7-Zip archive"),
        b"\x1f\x8b": _("gzip archive"),
        b"\xd0\xcf\x11\xe0": _("legacy Office document (.doc, .xls, .ppt)"),
        b"GIF8": _("GIF image"),
        b"#!": _("script"),
    }
    for prefix, name in known.items():
        if head.startswith(prefix):
            return name
    return None


def _ooxml_type(stream: IO[bytes]) -> str:
    """The Office type of a ZIP file, or a ValidationError saying why it is not accepted."""
    not_office = ValidationError(
        _(
            "The file is a ZIP archive but not a Word, Excel or PowerPoint document. "
            "Archives are not accepted: upload the documents themselves."
        ),
        code="archive",
    )
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            if len(members) > ZIP_MAX_MEMBERS:
                raise not_office
            names = {m.filename for m in members}
            info = next((m for m in members if m.filename == "[Content_Types].xml"), None)
            if info is None:
                raise not_office
            if info.file_size > CONTENT_TYPES_MAX_BYTES:
                raise not_office
            with archive.open(info) as part:
                data = part.read(CONTENT_TYPES_MAX_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError):
        raise ValidationError(
            _("The file looks like a ZIP archive but is damaged or incomplete."), code="damaged"
        ) from None
    if len(data) > CONTENT_TYPES_MAX_BYTES or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise not_office  # entity declarations have no place in a package manifest
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        raise not_office from None
    found = {
        OOXML_MAIN_PARTS[element.get("ContentType", "")]
        for element in root
        if element.tag.endswith("}Override") and element.get("ContentType") in OOXML_MAIN_PARTS
    }
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise ValidationError(
            _("Documents with macros are not accepted. Save the document without macros."),
            code="macros",
        )
    if len(found) != 1:
        if b"macroEnabled" in data:
            raise ValidationError(
                _("Documents with macros are not accepted. Save the document without macros."),
                code="macros",
            )
        raise not_office
    return found.pop()


def check_file(upload: File, original_name: str | None = None) -> CheckedFile:
    """Check an uploaded file and compute its SHA-256; raises ValidationError with the reason.

    The file is read once in chunks (hash, size, text check); an Office document is opened a
    second time as a ZIP to read its manifest.
    """
    # Only the last path component, without control characters (it ends up in a header).
    name = _CONTROL_IN_NAME.sub("", PurePath(original_name or upload.name or "").name)
    limit = max_bytes()
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise _too_large(limit)
    digest = hashlib.sha256()
    size = 0
    head = b""
    sniffer: _TextSniffer | None = None
    upload.seek(0)
    for chunk in _chunks(upload):
        if not chunk:
            continue
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        digest.update(chunk)
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        if sniffer is None:
            sniffer = _TextSniffer(head)
        if sniffer.is_text:
            sniffer.feed(chunk)
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    assert sniffer is not None
    sniffer.feed(b"", final=True)

    content_type = _magic_type(head)
    if content_type == "zip":
        upload.seek(0)
        content_type = _ooxml_type(upload)
    if content_type is None:
        if sniffer.is_text:
            content_type = CSV if PurePath(name).suffix.lower() == ".csv" else TEXT
        else:
            what = _describe_magic(head)
            if what:
                message = _("This file is a %(kind)s, which is not accepted. %(accepted)s")
                raise ValidationError(
                    message, code="type", params={"kind": what, "accepted": ACCEPTED_DESCRIPTION}
                )
            raise ValidationError(
                _("The file's content is not of an accepted type. %(accepted)s"),
                code="type",
                params={"accepted": ACCEPTED_DESCRIPTION},
            )
    extension = PurePath(name).suffix.lower()
    if extension not in EXTENSIONS[content_type]:
        raise ValidationError(
            _(
                "The file's content is %(kind)s but its name ends in “%(extension)s”; "
                "rename it with one of: %(expected)s."
            ),
            code="extension",
            params={
                "kind": TYPE_NAMES[content_type],
                "extension": extension or "(none)",
                "expected": ", ".join(sorted(EXTENSIONS[content_type])),
            },
        )
    upload.seek(0)
    return CheckedFile(
        original_name=name[:255],
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


def _too_large(limit: int) -> ValidationError:
    return ValidationError(
        _("The file is larger than the limit of %(limit)s."),
        code="size",
        params={"limit": filesizeformat(limit)},
    )


def _chunks(upload: File) -> Iterator[bytes]:
    if hasattr(upload, "chunks"):
        yield from upload.chunks(CHUNK_SIZE)
        return
    while chunk := upload.read(CHUNK_SIZE):
        yield chunk


def hash_stored(evidence: Evidence, storage: Storage | None = None) -> str | None:
    """The SHA-256 of the stored file, read again in chunks; None if the file is missing."""
    storage = storage or evidence.file.storage
    if not evidence.file.name or not storage.exists(evidence.file.name):
        return None
    digest = hashlib.sha256()
    with storage.open(evidence.file.name, "rb") as stored:
        for chunk in iter(lambda: stored.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_with_file(
    evidence: Evidence,
    upload: File,
    checked: CheckedFile,
    then: Callable[[Evidence], None] | None = None,
) -> Evidence:
    """Store the file under a generated name, then save the row (and run ``then``) atomically.

    If anything in the database fails, the stored file is removed again: there is never a file
    without its row, nor a row without its file.
    """
    evidence.kind = Evidence.Kind.FILE
    evidence.original_name = checked.original_name
    evidence.content_type = checked.content_type
    evidence.size = checked.size
    evidence.sha256 = checked.sha256
    storage = evidence.file.storage
    upload.seek(0)
    stored_name = storage.save(evidence_path(evidence, checked.original_name), upload)
    evidence.file.name = stored_name
    try:
        with transaction.atomic():
            evidence.save()
            if then is not None:
                then(evidence)
    except BaseException:
        storage.delete(stored_name)
        evidence.pk = None
        raise
    return evidence


def delete_stored_after_commit(evidence: Evidence) -> None:
    """Remove the stored file once the deletion of its row is committed."""
    name, storage = evidence.file.name, evidence.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
