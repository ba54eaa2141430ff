"""Figures computed from an organisation's data, kept in the cache under the version of the
data they read.

Every change of an organisation's data is recorded in its audit trail (a bulk change as one
event), and each event moves the version of every kind of data it changed (``DataVersion``,
one row per organisation and model). While a figure is computed, the tables its statements
read are noted; it is kept with the versions of those kinds, taken before it was computed, and
used while they stay the same, whatever process made it. So a figure of the registers survives
a changed result, and a list's count survives a change to another list. A table of a model
that is not audited moves with the models it is derived from (``changes_with``), and otherwise
with the whole trail; the audit trail itself with every event (security events too); the
library with its content. What else a figure depends on (today's date, the profile, who asks)
goes into ``parts``.

The kinds a figure read are noted anew each time it is computed: a table it skipped (nothing
to read there) can matter only after a change to one it did read, which computes it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import cache as once
from typing import Any, TypeVar

from django.apps import apps
from django.core.cache import cache
from django.db import connection

from finres import __version__
from finres.web.audit.actions import SECURITY_MODEL
from finres.web.audit.context import current_request
from finres.web.audit.models import Audited, AuditEvent, DataVersion

T = TypeVar("T")

# Keyed by the figure: a day only bounds what is kept.
CACHE_SECONDS = 24 * 60 * 60

TRAIL = "audit trail"  # the organisation's whole trail, security events too
CHANGES = "changes"  # any change of the organisation's data
LIBRARY = "library"  # the frameworks' content
IDENTIFIER = re.compile(r'"(\w+)"')
_reading: ContextVar[set[str] | None] = ContextVar("finres_versioned_reading", default=None)


@once
def _sources_by_table() -> dict[str, tuple[str, ...]]:
    """Which versions each table of the project's models moves with. Tables of other
    applications (people, sessions) are not the organisation's data: not versioned here."""
    found: dict[str, tuple[str, ...]] = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model is DataVersion:
            continue  # the versions themselves, read by a figure built on another
        if model is AuditEvent:
            sources: tuple[str, ...] = (TRAIL,)
        elif issubclass(model, Audited):
            sources = (label,)
        elif model._meta.app_label == "frameworks":
            sources = (LIBRARY,)
        elif hasattr(model, "changes_with"):
            sources = tuple(model.changes_with)
        elif model.__module__.startswith("finres."):
            sources = (CHANGES,)
        else:
            continue
        found[model._meta.db_table] = sources
    return found


def sources_of(sql: str) -> set[str]:
    """The versions a statement's tables move with (Django quotes every table it names)."""
    known = _sources_by_table()
    return {source for name in IDENTIFIER.findall(sql) for source in known.get(name, ())}


@contextlib.contextmanager
def _noting() -> Iterator[set[str]]:
    """Note the versions the statements run inside move with (and pass them to an enclosing
    figure being computed: it read them too)."""
    read: set[str] = set()
    enclosing = _reading.get()
    token = _reading.set(read)

    def note(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        read.update(sources_of(sql))
        return execute(sql, *args)

    try:
        with connection.execute_wrapper(note):
            yield read
    finally:
        _reading.reset(token)
        if enclosing is not None:
            enclosing.update(read)


SPECIAL = (TRAIL, CHANGES, LIBRARY)
MEMO = "_finres_versions"  # a request's versions, by organisation (``log.append`` drops them)


class Versions:
    """The current versions of one organisation's data, read when first needed: one query for
    every kind (the latest of them all is the trail's position, security events included), one
    for the library (``_library_version``, once per request)."""

    def __init__(self, organisation_id: int) -> None:
        self.organisation_id = organisation_id
        self._models: dict[str, tuple[int, str]] | None = None

    def models(self) -> dict[str, tuple[int, str]]:
        if self._models is None:
            self._models = {
                model: (sequence, hash_)
                for model, sequence, hash_ in DataVersion.objects.filter(
                    organisation_id=self.organisation_id
                ).values_list("model", "sequence", "hash")
            }
        return self._models

    def special(self, source: str) -> Any:
        if source == LIBRARY:
            return _library_version()
        rows = self.models()
        if source == CHANGES:  # log-ins, exports and downloads change no data
            return max((v for m, v in rows.items() if m != SECURITY_MODEL), default=(0, ""))
        return max(rows.values(), default=(0, ""))

    def read_all(self) -> Versions:
        self.models()
        self.special(LIBRARY)
        return self

    def of(self, sources: frozenset[str]) -> tuple[Any, ...]:
        """The version of each source, in a stable order. A model no event has changed yet
        (data older than these versions) moves with any change of the organisation's data."""
        found = []
        for source in sorted(sources):
            if source in SPECIAL:
                found.append((source, self.special(source)))
            else:
                kept = self.models().get(source)
                found.append((source, kept or (CHANGES, self.special(CHANGES))))
        return tuple(found)


def _versions(organisation_id: int) -> Versions:
    """The request's versions of the organisation's data (read once per request, until it
    changes data), or fresh ones outside a request (jobs, the command line). A request that
    reads a version another process has moved meanwhile acts as if it had come a moment
    earlier."""
    request = current_request()
    if request is None:
        return Versions(organisation_id)
    memo: dict[Any, Any] = request.__dict__.setdefault(MEMO, {})
    if organisation_id not in memo:
        memo[organisation_id] = Versions(organisation_id)
    return memo[organisation_id]


def depends_on(*sources: str) -> None:
    """Note sources the figure being computed reads other than through the database (the
    library loaded in memory: ``LIBRARY``)."""
    reading = _reading.get()
    if reading is not None:
        reading.update(sources)


def _library_version() -> Any:
    """The frameworks' content as synced: one version for every organisation (read once per
    request)."""
    from finres.web.frameworks.models import Framework

    request = current_request()
    memo: dict[Any, Any] = {} if request is None else request.__dict__.setdefault(MEMO, {})
    if LIBRARY not in memo:
        memo[LIBRARY] = Framework.objects.content_version()
    return memo[LIBRARY]


def forget(request: Any) -> None:
    """Drop the request's versions (it has just changed data)."""
    if request is not None:
        request.__dict__.pop(MEMO, None)


def versions(organisation_id: int, sources: frozenset[str]) -> tuple[Any, ...]:
    """The current version of each source, in a stable order."""
    return _versions(organisation_id).of(sources)


def cached(organisation_id: int, name: str, compute: Callable[[], T], *parts: Any) -> T:
    """``compute()``, or what it gave for the same ``parts`` while the data it read has not
    changed. What ``compute`` uses without a statement (an object already loaded, such as the
    organisation's profile; the date) belongs in ``parts``."""
    key = (
        f"finres-{name}-"
        + hashlib.sha256(repr((__version__, name, organisation_id, parts)).encode()).hexdigest()
    )
    found = cache.get(key)
    if found is not None:
        read, version, value = found
        if versions(organisation_id, read) == version:
            enclosing = _reading.get()
            if enclosing is not None:
                enclosing.update(read)
            return value
    # Every version, read before computing: a change made meanwhile moves the figure's version.
    before = _versions(organisation_id).read_all()
    with _noting() as noted:
        value = compute()
    read = frozenset(noted)
    cache.set(key, (read, before.of(read), value), CACHE_SECONDS)
    return value
