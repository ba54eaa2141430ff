"""The site-wide advisory data: OSV advisories and the CISA KEV catalogue, read from the dumps
that ``FINRES_OSV_PATHS`` and ``FINRES_KEV_FILE`` name (public data, the same for every
organisation; this machine may be offline, so an operator puts the dumps there).

The advisory index is built once per process and reused; it is rebuilt when a file's
modification time or size changes, or when the settings name other files.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from finres.core.supply_chain import AdvisoryIndex, InputError, Kev, load_index, load_kev

_lock = threading.Lock()
_cached: list[tuple[str, AdvisoryData]] = []  # at most one: (key, data)


@dataclass(frozen=True)
class AdvisoryData:
    osv_paths: tuple[Path, ...]
    kev_path: Path | None
    index: AdvisoryIndex | None
    kev: Kev | None
    loaded_at: dt.datetime
    files: int = 0
    newest_file: dt.datetime | None = None
    errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ready(self) -> bool:
        return self.index is not None

    @property
    def advisory_count(self) -> int:
        return self.index.stats.records if self.index is not None else 0

    @property
    def withdrawn_count(self) -> int:
        return self.index.stats.withdrawn if self.index is not None else 0

    @property
    def kev_count(self) -> int:
        return len(self.kev.cves) if self.kev is not None else 0

    def describe(self) -> dict[str, object]:
        """What a matching run used, kept with the job's summary."""
        return {
            "advisories": self.advisory_count,
            "kev_entries": self.kev_count,
            "kev_version": self.kev.version if self.kev is not None else None,
        }


def configured() -> tuple[tuple[Path, ...], Path | None]:
    osv = getattr(settings, "FINRES_OSV_PATHS", ()) or ()
    kev = getattr(settings, "FINRES_KEV_FILE", "") or ""
    return tuple(Path(p) for p in osv if str(p)), Path(kev) if kev else None


def is_configured() -> bool:
    """Whether the settings name OSV dumps (cheap: nothing is read; pages use it)."""
    return bool(configured()[0])


def _files(paths: tuple[Path, ...], kev: Path | None) -> list[tuple[str, int, int]]:
    """(path, mtime, size) of every file read: the cache's key."""
    found: list[tuple[str, int, int]] = []
    for root in (*paths, *([kev] if kev else [])):
        if root.is_dir():
            for folder, _dirs, names in os.walk(root):
                for name in names:
                    if name.endswith((".json", ".zip")):
                        path = os.path.join(folder, name)
                        stat = os.stat(path)
                        found.append((path, stat.st_mtime_ns, stat.st_size))
        elif root.exists():
            stat = root.stat()
            found.append((str(root), stat.st_mtime_ns, stat.st_size))
        else:
            found.append((str(root), -1, -1))
    return sorted(found)


def last_changed() -> dt.datetime | None:
    """When the dumps were last changed (the newest file's modification time; only their
    metadata is read): SBOMs matched before it are matched again by the schedule."""
    paths, kev_path = configured()
    if not paths:
        return None
    times = [mtime for _path, mtime, _size in _files(paths, kev_path) if mtime >= 0]
    return dt.datetime.fromtimestamp(max(times) / 1e9, tz=dt.UTC) if times else None


def current() -> AdvisoryData:
    """The advisory data as the dumps are now (built on first use, then reused)."""
    paths, kev_path = configured()
    files = _files(paths, kev_path)
    key = repr(files)
    with _lock:
        if _cached and _cached[0][0] == key:
            return _cached[0][1]
        data = _load(paths, kev_path, files)
        _cached[:] = [(key, data)]
        return data


def _load(
    paths: tuple[Path, ...], kev_path: Path | None, files: list[tuple[str, int, int]]
) -> AdvisoryData:
    errors: list[str] = []
    index = kev = None
    if paths:
        try:
            index = load_index(paths)
        except InputError as error:
            errors.append(error.message("en"))
    if kev_path is not None:
        try:
            kev = load_kev(kev_path)
        except InputError as error:
            errors.append(error.message("en"))
    times = [mtime for _path, mtime, _size in files if mtime >= 0]
    newest = dt.datetime.fromtimestamp(max(times) / 1e9, tz=dt.UTC) if times else None
    return AdvisoryData(
        osv_paths=paths,
        kev_path=kev_path,
        index=index,
        kev=kev,
        loaded_at=dt.datetime.now(tz=dt.UTC),
        files=len([f for f in files if f[1] >= 0]),
        newest_file=newest,
        errors=tuple(errors),
    )


def forget() -> None:
    """Drop the cached data (tests; a changed setting is noticed anyway)."""
    with _lock:
        _cached.clear()
