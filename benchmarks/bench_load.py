"""Load test: many people at once on the production server (issue 7).

Prepares the large institution (``web_data.py``, from the cache on SQLite) and one logged-in
session per simulated person, starts ``finres serve`` on loopback (as it runs by default, or
with ``--workers N``), and runs locust (``locustfile.py``) in its own process for a bounded
time: by default 50 people, 0.5–2 s think time, 88 % reads and 12 % writes, for 180 s.
Reports requests per second, errors (there must be none; "database is locked" in the server's
log is counted apart) and the p50/p95 latency, overall, for reads and for writes.

    .venv/bin/python benchmarks/bench_load.py --scale 1                  # embedded SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/finres_bench_load \\
        .venv/bin/python benchmarks/bench_load.py --scale 1 --duration 60
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import web_data

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FINRES = Path(sys.executable).with_name("finres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_config(path: Path) -> dict[str, Any]:
    """Sessions of the institution's people and the objects their requests touch."""
    import web_measure
    from django.contrib.auth import get_user_model

    from finres.web.assessments.models import RequirementResult, Result
    from finres.web.evidence.models import Evidence, EvidenceLink
    from finres.web.improvements.models import Finding
    from finres.web.orgs.models import Organisation

    org = Organisation.objects.get(name="範例綜合證券股份有限公司")
    people = get_user_model().objects.filter(username__startswith="bench-user-").order_by("pk")
    sessions = [web_measure.login_client(u).cookies["sessionid"].value for u in people]
    samples = web_measure.Samples(org)
    open_results = RequirementResult.objects.filter(
        organisation=org, assessment__status="in_progress"
    )
    a, r = samples.assessment.pk, samples.result.pk
    config = {
        "sessions": sessions,
        "result_values": [Result.COMPLIANT, Result.PARTIAL, Result.NON_COMPLIANT],
        "results": list(open_results.order_by("?").values_list("pk", flat=True)[:2000]),
        "unlinked_results": list(
            open_results.exclude(pk__in=EvidenceLink.objects.values("result_id"))
            .order_by("?")
            .values_list("pk", flat=True)[:5000]
        ),
        "evidence": list(
            Evidence.objects.filter(organisation=org).values_list("pk", flat=True)[:500]
        ),
        "findings": list(
            Finding.objects.filter(organisation=org).values_list("pk", flat=True)[:500]
        ),
        "reads": [
            ("dashboard", "/"),
            ("assessment list", "/assessments/"),
            ("assessment (its results)", f"/assessments/{a}/"),
            ("result", f"/assessments/results/{r}/"),
            ("evidence list", "/evidence/"),
            ("evidence expiring", "/evidence/expiring/"),
            ("findings", "/improvements/findings/"),
            ("exceptions", "/improvements/exceptions/"),
            ("systems", "/registers/systems/"),
            ("reports", "/reports/"),
            ("API results", f"/api/assessment-results/?assessment={a}"),
            ("API evidence", "/api/evidence/"),
            ("API findings", "/api/findings/"),
            ("API dashboard", "/api/dashboard/compliance/"),
        ],
    }
    path.write_text(json.dumps(config), encoding="utf-8")
    return config


def cpu_reference() -> float:
    """Seconds a fixed pure-Python loop takes here: the same code's load results differ between
    machines, and on a shared machine from one minute to the next (this loop took from 0.5 to
    1.9 s on one), so each run says how fast its machine was before and after the load."""
    started = time.perf_counter()
    total = 0
    for step in range(10_000_000):
        total += step
    return round(time.perf_counter() - started, 2)


def serve_options(workers: int | None) -> list[str]:
    """``finres serve`` as it runs by default (its own choice of processes: one on SQLite, two
    per core plus one on PostgreSQL), or with ``--workers`` when asked."""
    return ["--workers", str(workers)] if workers else []


def wait_for(port: int, server: subprocess.Popen[bytes], timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"finres serve stopped (exit {server.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("finres serve did not listen in time")


def _csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def stats(prefix: Path) -> dict[str, Any]:
    rows = _csv(Path(f"{prefix}_stats.csv"))

    def row_out(row: dict[str, str]) -> dict[str, Any]:
        return {
            "name": row["Name"],
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "requests_per_s": round(float(row["Requests/s"]), 2),
            "p50_ms": float(row["50%"] or 0),
            "p95_ms": float(row["95%"] or 0),
            "max_ms": float(row["Max Response Time"] or 0),
        }

    out: dict[str, Any] = {"requests": [row_out(r) for r in rows if r["Name"] != "Aggregated"]}
    out["total"] = next(row_out(r) for r in rows if r["Name"] == "Aggregated")
    out["failures"] = _csv(Path(f"{prefix}_failures.csv"))
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    database = web_data.database_kind()
    reference = cpu_reference()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="finres-load-")
    if args.reuse:
        web_data.setup_django(data_dir)
    else:
        web_data.prepare(args.scale, data_dir, log=lambda m: print(m, file=sys.stderr))
    if database == "postgresql":
        # A database that grew to this size over years has been analysed by autovacuum many
        # times; one just bulk-loaded has no statistics until autovacuum comes round.
        web_data.analyze()
    work = Path(tempfile.mkdtemp(prefix="finres-locust-"))
    config_path = work / "config.json"
    load_config(config_path)
    from django.db import connection

    connection.close()
    port = args.port or free_port()
    env = {**os.environ, "FINRES_DATA_DIR": data_dir, "FINRES_LANG": "zh-TW"}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # serve chooses its own settings
    options = serve_options(args.workers)
    server_log = open(work / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [str(FINRES), "serve", "--host", "127.0.0.1", "--port", str(port), *options],
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(port, server)
        prefix = work / "locust"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--only-summary",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{args.duration}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--loglevel",
                "WARNING",
            ],
            env={**env, "FINRES_LOAD_CONFIG": str(config_path)},
            check=False,
            capture_output=True,
        )
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server this run started, and its workers
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        server_log.close()
    log_text = (work / "server.log").read_text(encoding="utf-8", errors="replace")
    result = {
        "database": database,
        "scale": args.scale,
        "users": args.users,
        "duration_s": args.duration,
        "wall_s": round(elapsed, 1),
        "serve_options": options,
        "load": os.getloadavg(),
        "cpu_reference_s": [reference, cpu_reference()],
        "database_is_locked": len(re.findall(r"database is locked", log_text)),
        "server_errors_logged": len(re.findall(r"Internal Server Error|Traceback", log_text)),
        **stats(prefix),
        "work_dir": str(work),
    }
    for kind, writes in (("reads", False), ("writes", True)):
        chosen = [r for r in result["requests"] if r["name"].startswith("write") == writes]
        result[kind] = {
            "requests": sum(r["requests"] for r in chosen),
            "failures": sum(r["failures"] for r in chosen),
            "p95_ms_worst": max((r["p95_ms"] for r in chosen), default=0),
        }
    return result


def table(result: dict[str, Any]) -> str:
    total = result["total"]
    lines = [
        f"{result['users']} people for {result['duration_s']} s on {result['database']} "
        f"(scale {result['scale']:g}, serve {' '.join(result['serve_options']) or 'default'}, "
        f"load {result['load'][0]:.1f}; a 10⁷-step Python loop took "
        f"{' s, then '.join(map(str, result['cpu_reference_s']))} s)",
        f"{total['requests_per_s']:.1f} requests/s, {total['requests']} requests, "
        f"{total['failures']} errors ({result['database_is_locked']} 'database is locked'), "
        f"p50 {total['p50_ms']:.0f} ms, p95 {total['p95_ms']:.0f} ms",
        "",
        f"{'request':<28} {'count':>7} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8}",
    ]
    for row in result["requests"]:
        lines.append(
            f"{row['name']:<28} {row['requests']:>7} {row['failures']:>7} "
            f"{row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f}"
        )
    for failure in result["failures"][:10]:
        lines.append(
            f"  {failure.get('Occurrences')}× {failure.get('Name')}: {failure.get('Error')}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=int, default=10)
    parser.add_argument("--duration", type=int, default=180, help="seconds (bounded)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, help="server processes (default: finres serve's)")
    parser.add_argument("--data-dir", help="data folder (with --reuse: already generated)")
    parser.add_argument("--reuse", action="store_true", help="use the data already there")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args()
    result = run(args)
    print(
        json.dumps(result, ensure_ascii=False, indent=1) if args.format == "json" else table(result)
    )


if __name__ == "__main__":
    main()
