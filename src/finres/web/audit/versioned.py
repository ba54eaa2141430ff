"""Figures computed from an organisation's data, kept in the cache under the organisation's
audit trail position.

Every change of an organisation's data is recorded in its audit trail (a bulk change as one
event), so the sequence and hash of its latest change (``log.trail_position``; security events
such as log-ins and exports change no data) are a version of everything computed from that
data: a cached figure is used while no change follows and computed again at the first change,
whatever process made it. What else a figure depends on (today's date, the profile, the
library's content, who asks) goes into ``parts``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

from finres import __version__
from finres.web.audit.log import trail_position

T = TypeVar("T")

# Keyed by the version: a day only bounds what is kept.
CACHE_SECONDS = 24 * 60 * 60


def cached(
    organisation_id: int,
    name: str,
    compute: Callable[[], T],
    *parts: Any,
    of_the_trail: bool = False,
) -> T:
    """``compute()``, or what it gave for the same organisation data and ``parts`` (for a
    figure of the audit trail itself, ``of_the_trail``: the same trail, security events too)."""
    position = trail_position(organisation_id, changes_only=not of_the_trail)
    version = repr((__version__, name, organisation_id, position, parts))
    key = f"finres-{name}-" + hashlib.sha256(version.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = (compute(),)  # a tuple, so that a computed None is kept too
        cache.set(key, found, CACHE_SECONDS)
    return found[0]
