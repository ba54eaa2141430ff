"""Many checks at once, gently: bounded concurrency and a per-host limit, because
trading gateways are fragile. Used by ``finres check tls --file`` and the platform's jobs
(which check TLS endpoints and SSH servers in one batch, under the same limits)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, TypeVar

from finres.core.checks.tls import scan
from finres.core.checks.tls_rules import report
from finres.core.i18n import Language

Item = TypeVar("Item")
Result = TypeVar("Result")


def run_bounded(
    items: Sequence[Item],
    host_of: Callable[[Item], str],
    work: Callable[[Item], Result],
    concurrency: int,
    per_host: int,
    on_done: Callable[[], None] | None = None,
) -> list[Result]:
    """``work`` on every item, at most ``concurrency`` at once and ``per_host`` on one host;
    results in the order of ``items``."""
    locks: dict[str, threading.BoundedSemaphore] = defaultdict(
        lambda: threading.BoundedSemaphore(per_host)
    )
    guard = threading.Lock()

    def one(item: Item) -> Result:
        with guard:
            lock = locks[host_of(item)]
        with lock:
            return work(item)

    results: dict[int, Result] = {}
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = {pool.submit(one, item): i for i, item in enumerate(items)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if on_done is not None:
                on_done()
    return [results[i] for i in range(len(items))]


def scan_many(
    targets: list[tuple[str, int, str | None]],
    concurrency: int,
    per_host: int,
    on_done: Callable[[], None] | None = None,
    language: Language = "zh-TW",
) -> list[dict[str, Any]]:
    """Scan with at most ``concurrency`` endpoints at once and ``per_host`` on one host (trading
    gateways are fragile); results in the order of ``targets``."""

    def one(target: tuple[str, int, str | None]) -> dict[str, Any]:
        host, port, sni = target
        return report(scan(host, port, sni), language=language)

    return run_bounded(targets, lambda t: t[0], one, concurrency, per_host, on_done)
