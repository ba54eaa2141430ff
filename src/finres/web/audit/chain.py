"""The hash chain, as plain functions: what an event's hash is, and how a chain is verified."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
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


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the event's fields (keys sorted, UTF-8)."""
    payload = {name: event[name] for name in HASHED_FIELDS}
    text = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    sequence: int
    reason: str


def verify(events: Iterable[Mapping[str, Any]]) -> list[Break]:
    """Every place where the chain is broken: altered, removed, inserted or reordered events."""
    breaks: list[Break] = []
    expected_previous = GENESIS
    expected_sequence = 1
    for event in events:
        sequence = int(event["sequence"])
        if sequence != expected_sequence:
            breaks.append(Break(sequence, f"expected event {expected_sequence}, found {sequence}"))
        if event["previous_hash"] != expected_previous:
            breaks.append(Break(sequence, "does not follow the previous event"))
        if event_hash(event) != event["hash"]:
            breaks.append(Break(sequence, "content does not match its hash"))
        expected_previous = event["hash"]
        expected_sequence = sequence + 1
    return breaks
