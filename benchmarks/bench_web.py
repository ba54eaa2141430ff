"""Benchmark of the web application on a large institution (issue 7).

Generates the large institution (``web_data.py``: the shipped library and demo, about 211,000
requirement results, 55,000 evidence links, findings, milestones, exceptions, registers, board
reports, 100,000 chained audit events) at ``--scale`` (1 = full size), then measures as the
institution's administrator:

- every page and API list found in the URL conf (``web_measure.py``), each requested once cold
  then ``--repeats`` times warm: p50, p95 and the number of SQL queries; deep API pages too;
- the first requests of a fresh process (cold start);
- documents (board report PDF and DOCX through their routes and their rendering functions,
  XLSX and CSV exports), the XLSX import of 5,000 changed rows, the audit verification and a
  few writes (save a result, link and upload evidence, edit a finding).

The database is ``DATABASE_URL`` (its name must contain "bench": it is dropped and created
again) or SQLite in a temporary folder; generated SQLite databases are cached per scale.

    .venv/bin/python benchmarks/bench_web.py --scale 0.1
    .venv/bin/python benchmarks/bench_web.py --scale 1 --analyze --format json > out.json
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/finres_bench \\
        .venv/bin/python benchmarks/bench_web.py --scale 1

``--format json`` prints ``{"scale", "database", "pages": [{"name", "p50_ms", "p95_ms",
"queries", …}, …], …}`` (the contract ``tests/test_bench_contract.py`` checks).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import web_data

ROOT = Path(__file__).resolve().parent.parent


def environment() -> dict[str, Any]:
    def run(*command: str) -> str:
        try:
            return subprocess.run(
                command, capture_output=True, text=True, check=False, cwd=ROOT
            ).stdout.strip()
        except OSError:
            return ""

    return {
        "commit": os.environ.get("FINRES_BENCH_COMMIT")
        or run("git", "rev-parse", "--short", "HEAD"),
        "load": os.getloadavg(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }


def cold_probe(data_dir: str, username: str) -> dict[str, Any]:
    """In a fresh process started as ``finres serve`` starts one (Django set up, then the
    server's warm-up before it listens): the first requests of some pages, and the first board
    report PDF with the resident memory it added."""
    start = time.perf_counter()
    web_data.setup_django(data_dir)
    import web_measure
    from django.contrib.auth import get_user_model

    from finres.web import serving

    setup_ms = (time.perf_counter() - start) * 1000
    warmed: list[float] = []
    start = time.perf_counter()
    web_measure.with_extra_memory(serving.warm_up, warmed)()
    warm_up_ms = (time.perf_counter() - start) * 1000
    user = get_user_model().objects.get(username=username)
    client = web_measure.login_client(user)
    out: dict[str, Any] = {
        "django_setup_ms": round(setup_ms, 1),
        "warm_up_ms": round(warm_up_ms, 1),
        "warm_up_memory_mib": round(warmed[0], 1),
        "first_requests": [],
    }
    for name, url in (
        ("reports:dashboard", "/"),
        ("assessments:list", "/assessments/"),
        ("api:evidence-list", "/api/evidence/"),
        ("reports:dashboard (second request)", "/"),
    ):
        response, elapsed, queries = web_measure.timed(client, "get", url)
        out["first_requests"].append(
            {
                "name": name,
                "ms": round(elapsed * 1000, 1),
                "queries": queries,
                "status": response.status_code,
            }
        )
    # the board report PDF rendered in this fresh process: fonts and WeasyPrint loaded by it
    from finres.web.orgs.models import Membership
    from finres.web.reports.documents import board_report_pdf
    from finres.web.reports.models import BoardReport

    mine = Membership.objects.filter(user=user).values("organisation")
    report = BoardReport.objects.filter(organisation__in=mine).order_by("-year").first()
    if report is not None:
        extra: list[float] = []
        start = time.perf_counter()
        web_measure.with_extra_memory(lambda: board_report_pdf(report), extra)()
        out["first_board_report_pdf"] = {
            "ms": round((time.perf_counter() - start) * 1000, 1),
            "extra_memory_mib": round(extra[0], 1),
        }
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    log = _logger(args)
    database = web_data.database_kind()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="finres-bench-")
    started = time.perf_counter()
    if args.reuse:  # a database generated before, brought up to the current migrations
        web_data.setup_django(data_dir)
        from finres.web.setup import migrate

        migrate()
    else:
        web_data.prepare(args.scale, data_dir, use_cache=not args.no_cache, log=log)
    prepared_s = time.perf_counter() - started
    import web_measure
    from django.contrib.auth import get_user_model

    from finres.web.orgs.models import Organisation

    if args.analyze:
        start = time.perf_counter()
        web_data.analyze()
        log(f"ANALYZE in {time.perf_counter() - start:.1f} s")
    org = Organisation.objects.get(name="範例綜合證券股份有限公司")
    user = get_user_model().objects.get(username="demo-admin")
    result: dict[str, Any] = {
        "scale": args.scale,
        "database": database,
        "analyze": args.analyze,
        "environment": environment(),
        "data": web_data.counts(org),
        "prepared_s": round(prepared_s, 1),
    }
    client = web_measure.login_client(user)  # before the probe: its session is in the database
    if not args.no_cold:
        result["cold"] = _run_cold_probe(data_dir, user.get_username())
    samples = web_measure.Samples(org)
    group = web_measure.login_client(get_user_model().objects.get(username="demo-group-ciso"))
    clients = [(user.get_username(), client), ("demo-group-ciso", group)]
    pages, others = web_measure.discover(clients, samples)
    log(f"{len(pages)} pages and API lists to measure, {len(others)} other routes")
    web_measure.measure_pages(pages, args.repeats, log, args.detail_repeats)
    result["pages"] = [p.row() for p in pages]
    result["not_measured"] = [o for o in others if o["reason"] != "POST only"]
    result["post_only"] = sorted(o["name"] for o in others if o["reason"] == "POST only")
    if not args.pages_only:
        # A failing measure is reported in the result, not allowed to lose the others.
        sections: list[tuple[str, Callable[[], Any]]] = [
            ("documents", lambda: web_measure.documents(client, samples, args.document_repeats)),
            ("xlsx_import", lambda: web_measure.xlsx_import(samples, args.import_rows)),
            ("audit", lambda: web_measure.audit(args.document_repeats)),
            ("writes", lambda: web_measure.writes(client, samples, max(1, args.repeats))),
            ("audit", lambda: web_measure.audit(1, incremental=True)),
        ]
        for section, measure in sections:
            log(f"{section} …")
            try:
                rows = measure()
            except Exception as error:
                result.setdefault("errors", []).append(f"{section}: {error}"[:2000])
                log(f"{section} failed: {error}")
                continue
            if isinstance(rows, list) and section in result:
                result[section] += rows
            else:
                result[section] = rows
    result["environment"]["load_after"] = os.getloadavg()
    if not args.data_dir and database == "sqlite" and not args.keep:
        import shutil

        from django.db import connection

        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    elif args.keep or args.data_dir:
        result["data_dir"] = data_dir
    return result


def _run_cold_probe(data_dir: str, username: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, "--cold-probe", data_dir, "--user", username],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "FINRES_DATA_DIR": data_dir},
    )
    if completed.returncode:
        return {"error": completed.stderr.strip()[-2000:]}
    return dict(json.loads(completed.stdout))


def _logger(args: argparse.Namespace) -> Any:
    def log(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    return log


def table(result: dict[str, Any]) -> str:
    lines = [
        f"scale {result['scale']:g} on {result['database']}"
        f"{' after ANALYZE' if result.get('analyze') else ''} — commit "
        f"{result['environment']['commit']}, load {result['environment']['load'][0]:.1f}",
        ", ".join(f"{v:,} {k}" for k, v in result["data"].items()),
        "",
        f"{'page or API list':<58} {'p50 ms':>8} {'p95 ms':>8} {'first ms':>9} {'queries':>8}",
    ]
    for row in sorted(result["pages"], key=lambda r: -r["p95_ms"]):
        lines.append(
            f"{row['name']:<58} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
            f"{row['first_ms']:>9.1f} {row['queries']:>8}"
        )
    for section in ("documents", "audit", "writes"):
        if section in result:
            lines += ["", f"{section:<58} {'p50 ms':>8} {'p95 ms':>8} {'first ms':>9}"]
            for row in result[section]:
                memory = row.get("extra_memory_mib")
                lines.append(
                    f"{row['name']:<58} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
                    f"{row['first_ms']:>9.1f} {row['queries']:>8}"
                    + (f"  +{memory:.0f} MiB" if memory is not None else "")
                )
    for error in result.get("errors", []):
        lines += ["", f"failed: {error}"]
    if "xlsx_import" in result:
        row = result["xlsx_import"]
        lines += ["", f"{row['name']}: {row['first_ms'] / 1000:.1f} s, {row['queries']} queries"]
    if "cold" in result:
        cold = result["cold"]
        if "error" in cold:
            lines += ["", f"cold start failed: {cold['error']}"]
        else:
            lines += [
                "",
                f"fresh process: Django set up in {cold['django_setup_ms']:.0f} ms, the "
                f"server's warm-up {cold.get('warm_up_ms', 0):.0f} ms "
                f"(+{cold.get('warm_up_memory_mib', 0):.0f} MiB), before it listens",
            ]
            for row in cold["first_requests"]:
                lines.append(f"  first {row['name']}: {row['ms']:.0f} ms ({row['queries']} q)")
            if "first_board_report_pdf" in cold:
                pdf = cold["first_board_report_pdf"]
                lines.append(
                    f"  first board report PDF: {pdf['ms']:.0f} ms, "
                    f"+{pdf['extra_memory_mib']:.0f} MiB resident"
                )
    if result.get("not_measured"):
        lines += ["", "not measured:"]
        lines += [f"  {o['name']} ({o['route']}): {o['reason']}" for o in result["not_measured"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.1, help="1 = the large institution")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE before measuring")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--repeats", type=int, default=30, help="warm requests per page")
    parser.add_argument(
        "--detail-repeats",
        type=int,
        default=-1,
        help="warm requests for the pages of one object (default: as --repeats)",
    )
    parser.add_argument("--document-repeats", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=5_000)
    parser.add_argument("--pages-only", action="store_true", help="pages and API lists only")
    parser.add_argument("--no-cold", action="store_true", help="skip the fresh-process probe")
    parser.add_argument("--no-cache", action="store_true", help="generate even if cached")
    parser.add_argument("--data-dir", help="use (and keep) this data folder")
    parser.add_argument("--keep", action="store_true", help="keep the generated data folder")
    parser.add_argument(
        "--reuse", action="store_true", help="with --data-dir: use the data there (migrated)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--cold-probe", metavar="DATA_DIR", help=argparse.SUPPRESS)
    parser.add_argument("--user", default="demo-admin", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cold_probe:
        print(json.dumps(cold_probe(args.cold_probe, args.user)))
        return
    result = run(args)
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print(table(result))


if __name__ == "__main__":
    main()
