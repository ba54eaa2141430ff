"""Checking the trail (incrementally, whole, or one organisation's events), and anchoring its
head outside the database.

Used by ``finres audit verify [--full] [--anchor FILE]``, ``finres audit anchor``, the audit
page and its background job.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from finres.web.audit.chain import (
    Break,
    Head,
    anchor_breaks,
    check_anchor_signature,
    make_anchor,
    sign_checkpoint,
    verify,
)
from finres.web.audit.context import Actor, current_actor
from finres.web.audit.keys import AuditKeyError, audit_key
from finres.web.audit.log import stored_head
from finres.web.audit.models import AuditCheckpoint, AuditEvent

Progress = Callable[[int, int], None]


SCOPE_ALL = "all"
PROGRESS_EVERY = 1000  # events between two progress calls
CHUNK = 2000
_FIELDS = (
    "sequence",
    "timestamp",
    "actor_id",
    "actor_name",
    "organisation_id",
    "action",
    "model",
    "object_id",
    "object_repr",
    "changes",
    "previous_hash",
    "hash",
    "scheme",
)


@dataclass(frozen=True)
class Previous:
    """The checkpoint a verification started from: up to which event, when, by whom."""

    sequence: int
    verified_at: str
    verified_by: str


@dataclass(frozen=True)
class Report:
    """``count``: events in the chain; ``start``: the first event checked this time (the
    checkpoint's next one, 1 when ``full``); ``checked``: events checked this time (in scope,
    their content; the others, as links); ``previous``: the checkpoint started from."""

    count: int
    breaks: list[Break]
    key_available: bool
    start: int = 1
    checked: int = 0
    full: bool = True
    organisation_id: int | None = None
    previous: Previous | None = None
    end: int = 0


def scope_of(organisation_id: int | None) -> str:
    return SCOPE_ALL if organisation_id is None else f"organisation:{organisation_id}"


def _checkpoint(scope: str, key: bytes, breaks: list[Break]) -> AuditCheckpoint | None:
    """The scope's checkpoint if its signature holds; an altered one is a break, and ignored."""
    found = AuditCheckpoint.objects.filter(scope=scope).first()
    if found is None:
        return None
    if not hmac.compare_digest(sign_checkpoint(found.as_signed(), key), found.signature):
        breaks.append(
            Break(found.sequence, "the verification checkpoint was altered", "checkpoint")
        )
        return None
    # The cheap check of what was verified before: the checkpointed event is still there, with
    # its hash, and its content still matches that hash under the key.
    event = AuditEvent.objects.filter(sequence=found.sequence).values(*_FIELDS).first()
    if (
        event is None
        or event["hash"] != found.hash
        or verify([event], key, start=Head(found.sequence - 1, event["previous_hash"])) != []
    ):
        breaks.append(
            Break(
                found.sequence, "the event verified last was rewritten or removed", "checkpointed"
            )
        )
    return found


def _save_checkpoint(
    scope: str, sequence: int, hash_: str, full: bool, key: bytes, actor: Actor
) -> None:
    values: dict[str, Any] = {
        "scope": scope,
        "sequence": sequence,
        "hash": hash_,
        "verified_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "verified_by_name": actor.name[:150],
        "full": full,
    }
    values["signature"] = sign_checkpoint(values, key)
    AuditCheckpoint.objects.update_or_create(
        scope=scope, defaults={**values, "verified_by_id": actor.user_id}
    )


def _events(after: int, until: int, progress: Progress | None, total: int) -> Iterator[Any]:
    rows = (
        AuditEvent.objects.filter(sequence__gt=after, sequence__lte=until)
        .order_by("sequence")
        .values(*_FIELDS)
    )
    for done, row in enumerate(rows.iterator(chunk_size=CHUNK), start=1):
        yield row
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)


def verify_trail(
    *,
    organisation_id: int | None = None,
    full: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Verify the chain with the audit key (if available) and against the stored head.

    Incremental by default: from the checkpoint the last verification of the same scope left
    (whose event must still carry its hash), to the stored head; ``full`` starts from the
    first event. A verification without any break moves the checkpoint to the head.

    ``organisation_id`` scopes it to one organisation's events: their content is recomputed
    with the key; every other event is checked as a link of the chain only (sequence, previous
    hash), and reported breaks are those of the organisation's events and of the links (see
    docs/web.md, "Scoped verification", for what this proves). ``progress(done, total)`` is
    called every ``PROGRESS_EVERY`` events and at the end.
    """
    try:
        key: bytes | None = audit_key(create=False)
    except AuditKeyError:
        key = None
    head = stored_head()
    count = AuditEvent.objects.count()
    breaks: list[Break] = []
    scope = scope_of(organisation_id)
    checkpoint = None if full or key is None else _checkpoint(scope, key, breaks)
    start = Head(checkpoint.sequence, checkpoint.hash) if checkpoint else None
    after = start.sequence if start else 0
    total = max(head.sequence - after, 0)
    content = None
    if organisation_id is not None:
        content = lambda event: event["organisation_id"] == organisation_id  # noqa: E731
    found = verify(
        _events(after, max(head.sequence, after), progress, total),
        key,
        head,
        start=start,
        content=content,
    )
    breaks.extend(found)
    if progress is not None:
        progress(total, total)
    if key is not None and not breaks and head.sequence:
        _save_checkpoint(scope, head.sequence, head.hash, checkpoint is None, key, current_actor())
    previous = (
        Previous(checkpoint.sequence, checkpoint.verified_at, checkpoint.verified_by_name)
        if checkpoint
        else None
    )
    return Report(
        count,
        breaks,
        key is not None,
        start=after + 1,
        checked=total,
        full=checkpoint is None,
        organisation_id=organisation_id,
        previous=previous,
        end=head.sequence,
    )


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
