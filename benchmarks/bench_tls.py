"""Benchmark of the TLS batch check: many endpoints with bounded concurrency.

Run with ``.venv/bin/python benchmarks/bench_tls.py [--endpoints 100]``. It starts that many
``openssl s_server`` processes, each on its own loopback address (127.0.1.x), alternating a
strict and a legacy configuration, scans them all as ``finres check tls --file`` does (16 at
once, one per host) and prints the wall time. Everything stays on this machine.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.checks.tls_servers import certificate, wait_for  # noqa: E402

from finres.core.checks.batch import scan_many  # noqa: E402

STRICT = ["-cipher", "ECDHE+AESGCM", "-groups", "X25519:P-256"]
LEGACY = ["-cipher", "ALL:@SECLEVEL=0", "-min_protocol", "TLSv1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SystemExit("the openssl command is needed")
    folder = Path(tempfile.mkdtemp(prefix="finres-bench-tls-"))
    cert, key = certificate(folder, "bench")
    port = 8443
    processes = []
    targets: list[tuple[str, int, str | None]] = []
    try:
        for i in range(args.endpoints):
            host = f"127.0.1.{i + 1}"
            options = STRICT if i % 2 == 0 else LEGACY
            processes.append(
                subprocess.Popen(
                    [
                        openssl,
                        "s_server",
                        "-accept",
                        f"{host}:{port}",
                        "-cert",
                        str(cert),
                        "-key",
                        str(key),
                        "-quiet",
                        *options,
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            targets.append((host, port, "localhost"))
        for host, target_port, _ in targets:
            wait_for(target_port, 20, host)
        started = time.perf_counter()
        cpu = time.process_time()
        results = scan_many(targets, args.concurrency, 1)
        wall = time.perf_counter() - started
        failed = sum(
            1
            for r in results
            if any(f["status"] == "fail" for f in r["findings"] if f["requirement"] == "art-34-1")
        )
        print(
            f"{len(results)} endpoints in {wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU "
            f"(concurrency {args.concurrency}, one per host); art. 34-1 failed on {failed}"
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
