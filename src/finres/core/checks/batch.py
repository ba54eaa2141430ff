"""Many TLS checks at once, gently: bounded concurrency and a per-host limit, because
trading gateways are fragile. Used by ``finres check tls --file`` and the platform's jobs."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from finres.core.checks.tls import scan
from finres.core.checks.tls_rules import report
from finres.core.i18n import Language


def scan_many(
    targets: list[tuple[str, int, str | None]],
    concurrency: int,
    per_host: int,
    on_done: Callable[[], None] | None = None,
    language: Language = "zh-TW",
) -> list[dict[str, Any]]:
    """Scan with at most ``concurrency`` endpoints at once and ``per_host`` on one host (trading
    gateways are fragile); results in the order of ``targets``."""
    locks: dict[str, threading.BoundedSemaphore] = defaultdict(
        lambda: threading.BoundedSemaphore(per_host)
    )
    guard = threading.Lock()

    def one(target: tuple[str, int, str | None]) -> dict[str, Any]:
        host, port, sni = target
        with guard:
            lock = locks[host]
        with lock:
            return report(scan(host, port, sni), language=language)

    results: list[dict[str, Any] | None] = [None] * len(targets)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = {pool.submit(one, t): i for i, t in enumerate(targets)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if on_done is not None:
                on_done()
    return [r for r in results if r is not None]
