"""Checking the whole trail, and anchoring its head outside the database.

Used by ``finres audit verify [--anchor FILE]``, ``finres audit anchor`` and the audit page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from finres.web.audit.chain import (
    Break,
    anchor_breaks,
    check_anchor_signature,
    make_anchor,
    verify,
)
from finres.web.audit.keys import AuditKeyError, audit_key
from finres.web.audit.log import stored_head
from finres.web.audit.models import AuditEvent


@dataclass(frozen=True)
class Report:
    count: int
    breaks: list[Break]
    key_available: bool


def verify_trail() -> Report:
    """The whole chain, with the audit key (if available) and against the stored head."""
    try:
        key: bytes | None = audit_key(create=False)
    except AuditKeyError:
        key = None
    events = AuditEvent.objects.order_by("sequence")
    count = events.count()
    breaks = verify((e.as_chain_entry() for e in events.iterator()), key, stored_head())
    return Report(count, breaks, key is not None)


def current_anchor() -> dict[str, Any]:
    """The chain's head, signed with the audit key, for the operator to keep elsewhere.

    Raises ``AuditKeyError`` without a key.
    """
    key = audit_key(create=False)
    last = AuditEvent.objects.order_by("-sequence").first()
    head = stored_head()
    sequence, hash_ = (last.sequence, last.hash) if last else (head.sequence, head.hash)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return make_anchor(sequence, hash_, now, key)


def anchor_check(anchor: Any) -> list[Break]:
    """Breaks if the chain no longer holds the anchored event with its hash (or is shorter).

    Raises ``AnchorError`` for a malformed or wrongly signed anchor, ``AuditKeyError`` without
    a key.
    """
    sequence, hash_ = check_anchor_signature(anchor, audit_key(create=False))
    found = AuditEvent.objects.filter(sequence=sequence).values_list("hash", flat=True).first()
    length = AuditEvent.objects.count()
    return anchor_breaks(sequence, hash_, found, length)
