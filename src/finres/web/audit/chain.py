"""The hash chain, as plain functions: what an event's hash is, and how a chain is verified.

Two schemes, recorded per event in ``scheme``:

- ``hmac-sha256`` (every event written since the key was introduced): HMAC-SHA256, with a key
  kept outside the database, over the canonical JSON of the event's fields. Whoever can write
  to the database but does not hold the key cannot rewrite the chain and recompute its hashes.
- ``sha256`` (events written before): plain SHA-256 over the same fields without ``scheme``.
  Such events are accepted only as the beginning of the chain, followed by a keyed event whose
  HMAC covers the last of them (the upgrade appends one); a chain made only of unkeyed events,
  or an unkeyed event after a keyed one, is reported as a break.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
SCHEME_SHA256 = "sha256"
SCHEME_HMAC = "hmac-sha256"
SCHEMES = (SCHEME_SHA256, SCHEME_HMAC)
HASHED_FIELDS = (
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
)
ANCHOR_FIELDS = ("sequence", "hash", "timestamp")


class KeyMissingError(ValueError):
    """A keyed event (or an anchor) cannot be computed or checked without the audit key."""


def _canonical(payload: Mapping[str, Any]) -> bytes:
    text = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return text.encode("utf-8")


def event_hash(event: Mapping[str, Any], key: bytes | None = None) -> str:
    """The event's hash under its ``scheme`` (``sha256`` when the event names none).

    ``hmac-sha256`` hashes the fields and the scheme itself with ``key``; ``sha256`` is the
    original, unkeyed hash of the fields alone.
    """
    scheme = event.get("scheme") or SCHEME_SHA256
    payload = {name: event[name] for name in HASHED_FIELDS}
    if scheme == SCHEME_SHA256:
        return hashlib.sha256(_canonical(payload)).hexdigest()
    if scheme != SCHEME_HMAC:
        raise ValueError(f"unknown audit hash scheme {scheme!r}")
    if not key:
        raise KeyMissingError("the audit key is needed to compute a keyed event's hash")
    payload["scheme"] = scheme
    return hmac.new(key, _canonical(payload), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Break:
    """A place where the chain is broken; ``code`` names the kind, for translated messages:
    order, previous, content, no_key, scheme, downgrade, unsealed, head, shorter, rewritten."""

    sequence: int
    reason: str
    code: str = ""


@dataclass(frozen=True)
class Head:
    """The chain's tip as stored beside it (``AuditHead``)."""

    sequence: int
    hash: str


def verify(
    events: Iterable[Mapping[str, Any]],
    key: bytes | None = None,
    head: Head | None = None,
    *,
    start: Head | None = None,
    content: Callable[[Mapping[str, Any]], bool] | None = None,
) -> list[Break]:
    """Every place where the chain is broken: altered, removed, inserted or reordered events.

    With ``head``, the last event must be the stored head, so that removing the newest events
    is found too. Keyed events need ``key``; without it each one is reported as unverifiable.

    ``start`` continues a verification that ended at that (keyed) event: ``events`` are those
    after it. ``content`` limits the hash recomputation to the events it accepts; the others
    are checked as links only (sequence, previous hash, scheme), as a scoped verification does.
    """
    breaks: list[Break] = []
    expected_previous = start.hash if start else GENESIS
    expected_sequence = start.sequence + 1 if start else 1
    keyed_seen = bool(start and start.sequence)  # a checkpoint is always a keyed event
    last_scheme: str | None = None
    last: Mapping[str, Any] | None = None
    for event in events:
        sequence = int(event["sequence"])
        scheme = event.get("scheme") or SCHEME_SHA256
        if sequence != expected_sequence:
            breaks.append(
                Break(sequence, f"expected event {expected_sequence}, found {sequence}", "order")
            )
        if event["previous_hash"] != expected_previous:
            breaks.append(Break(sequence, "does not follow the previous event", "previous"))
        if scheme == SCHEME_SHA256 and keyed_seen:
            breaks.append(Break(sequence, "unkeyed event after keyed events", "downgrade"))
        try:
            if content is not None and not content(event):
                pass  # outside the scope: a link only
            elif not hmac.compare_digest(event_hash(event, key), str(event["hash"])):
                breaks.append(Break(sequence, "content does not match its hash", "content"))
        except KeyMissingError:
            if not any(b.code == "no_key" for b in breaks):  # once, not for every event
                breaks.append(
                    Break(sequence, "keyed events, but the audit key is not available", "no_key")
                )
        except ValueError as error:
            breaks.append(Break(sequence, str(error), "scheme"))
        keyed_seen = keyed_seen or scheme == SCHEME_HMAC
        last_scheme = scheme
        last = event
        expected_previous = event["hash"]
        expected_sequence = sequence + 1
    if last_scheme == SCHEME_SHA256:
        breaks.append(
            Break(
                int(last["sequence"]) if last else 0,
                "unkeyed events not sealed by a keyed one",
                "unsealed",
            )
        )
    if head is not None:
        last_sequence = int(last["sequence"]) if last else (start.sequence if start else 0)
        last_hash = str(last["hash"]) if last else (start.hash if start else GENESIS)
        if head.sequence != last_sequence or head.hash != last_hash:
            removed = ": newest events removed" if head.sequence > last_sequence else ""
            breaks.append(
                Break(
                    head.sequence,
                    f"the stored head is event {head.sequence}, but the chain ends at "
                    f"event {last_sequence}{removed}",
                    "head",
                )
            )
    return breaks


# --- anchors: the head kept outside, signed with the key --------------------------------------


def sign_anchor(anchor: Mapping[str, Any], key: bytes) -> str:
    if not key:
        raise KeyMissingError("the audit key is needed to sign an anchor")
    payload = {name: anchor[name] for name in ANCHOR_FIELDS}
    return hmac.new(key, _canonical(payload), hashlib.sha256).hexdigest()


def make_anchor(sequence: int, hash_: str, timestamp: str, key: bytes) -> dict[str, Any]:
    """The JSON head an operator keeps elsewhere: ``{sequence, hash, timestamp, signature}``."""
    anchor: dict[str, Any] = {"sequence": sequence, "hash": hash_, "timestamp": timestamp}
    anchor["signature"] = sign_anchor(anchor, key)
    return anchor


class AnchorError(ValueError):
    """The anchor file is malformed (``code`` "malformed") or wrongly signed ("signature")."""

    def __init__(self, message: str, code: str = "malformed") -> None:
        super().__init__(message)
        self.code = code


def check_anchor_signature(anchor: Any, key: bytes) -> tuple[int, str]:
    """The anchored ``(sequence, hash)`` if ``anchor`` is well formed and signed with ``key``."""
    if not isinstance(anchor, dict) or not all(
        name in anchor for name in (*ANCHOR_FIELDS, "signature")
    ):
        raise AnchorError("not an audit anchor (sequence, hash, timestamp, signature)")
    sequence, hash_ = anchor["sequence"], anchor["hash"]
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
        raise AnchorError("the anchor's sequence is not a whole number")
    if not isinstance(hash_, str) or not isinstance(anchor["signature"], str):
        raise AnchorError("the anchor's hash and signature must be text")
    if not hmac.compare_digest(sign_anchor(anchor, key), anchor["signature"]):
        raise AnchorError(
            "the anchor's signature does not match (another key, or altered)", "signature"
        )
    return sequence, hash_


def anchor_breaks(
    anchored_sequence: int, anchored_hash: str, found_hash: str | None, length: int
) -> list[Break]:
    """Whether the chain (``length`` events; ``found_hash`` at the anchored place) still holds
    the anchored event."""
    if length < anchored_sequence:
        return [
            Break(
                anchored_sequence,
                f"the chain has {length} events, fewer than the {anchored_sequence} anchored",
                "shorter",
            )
        ]
    if anchored_sequence and found_hash != anchored_hash:
        return [Break(anchored_sequence, "the anchored event was rewritten", "rewritten")]
    return []


# --- verification checkpoints: how far the chain was verified, signed with the key ------------

CHECKPOINT_FIELDS = ("scope", "sequence", "hash", "verified_at", "verified_by_name", "full")


def sign_checkpoint(checkpoint: Mapping[str, Any], key: bytes) -> str:
    """The HMAC of a checkpoint: whoever cannot sign cannot move it forward to skip events."""
    if not key:
        raise KeyMissingError("the audit key is needed to sign a checkpoint")
    payload = {"kind": "checkpoint", **{name: checkpoint[name] for name in CHECKPOINT_FIELDS}}
    return hmac.new(key, _canonical(payload), hashlib.sha256).hexdigest()
