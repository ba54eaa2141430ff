"""Markdown tables for docs/benchmarks.md from ``bench_web.py --format json`` results.

    .venv/bin/python benchmarks/web_report.py "SQLite before=before.json" "SQLite after=after.json"

Each argument is ``label=file``; the first table compares the p95 of the pages named in issue 7
(and the worst page) across the runs, the second lists every page of each run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

KEY_PAGES = [
    ("dashboard", "reports:dashboard"),
    ("assessment list", "assessments:list"),
    ("one assessment (its results)", "assessments:detail"),
    ("evidence list", "evidence:list"),
    ("evidence expiring", "evidence:expiring"),
    ("findings", "improvements:finding_list"),
    ("board report (HTML)", "reports:board_detail"),
    ("audit trail", "audit:list"),
    ("API evidence", "api:evidence-list"),
    ("API dashboard (compliance)", "api:dashboard-compliance"),
    ("API dashboard (maturity)", "api:dashboard-maturity"),
    ("API results", "api:assessment-result-list"),
    ("API results, deep page", "api:assessment-result-list (deep page)"),
]


def load(argument: str) -> tuple[str, dict[str, Any]]:
    label, _, path = argument.partition("=")
    return label, json.loads(Path(path).read_text(encoding="utf-8"))


def _cell(row: dict[str, Any] | None) -> str:
    return f"{row['p95_ms']:.0f} ({row['queries']} q)" if row else "—"


def key_table(runs: list[tuple[str, dict[str, Any]]]) -> str:
    header = "| p95 ms (queries) | " + " | ".join(label for label, _ in runs) + " |"
    lines = [header, "| --- |" + " --- |" * len(runs)]
    pages = [{p["name"]: p for p in result["pages"]} for _, result in runs]
    for title, name in KEY_PAGES:
        lines.append(f"| {title} | " + " | ".join(_cell(p.get(name)) for p in pages) + " |")
    worst = []
    over = []
    for _, result in runs:
        top = max(result["pages"], key=lambda p: p["p95_ms"])
        worst.append(f"{top['p95_ms']:.0f} ({top['name']})")
        over.append(str(sum(1 for p in result["pages"] if p["p95_ms"] > 150)))
    lines.append("| worst page | " + " | ".join(worst) + " |")
    lines.append("| pages over 150 ms | " + " | ".join(over) + " |")
    for section, names in (
        ("documents", None),
        ("audit", None),
        ("writes", None),
    ):
        seen: list[str] = []
        for _, result in runs:
            for row in result.get(section, []):
                if row["name"] not in seen and (names is None or row["name"] in names):
                    seen.append(row["name"])
        for name in seen:
            cells = []
            for _, result in runs:
                row = next((r for r in result.get(section, []) if r["name"] == name), None)
                cells.append(_cell(row))
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    cells = []
    for _, result in runs:
        row = result.get("xlsx_import")
        cells.append(f"{row['first_ms'] / 1000:.1f} s ({row['queries']} q)" if row else "—")
    lines.append("| XLSX import, changed rows of one assessment | " + " | ".join(cells) + " |")
    cells = []
    for _, result in runs:
        cold = result.get("cold", {})
        first = next(iter(cold.get("first_requests", [])), None)
        cells.append(
            f"{cold['django_setup_ms']:.0f} + {first['ms']:.0f}" if first and cold else "—"
        )
    lines.append(
        "| fresh process: Django set-up + first dashboard, ms | " + " | ".join(cells) + " |"
    )
    cells = [
        f"{r['environment']['load'][0]:.1f}–{r['environment'].get('load_after', [0])[0]:.1f}"
        for _, r in runs
    ]
    lines.append("| load average (start–end) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def full_table(label: str, result: dict[str, Any]) -> str:
    lines = [
        f"{label}: {len(result['pages'])} pages and API lists "
        f"(commit {result['environment']['commit']})",
        "",
        "| page or API list | p50 ms | p95 ms | first ms | queries |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in sorted(result["pages"], key=lambda r: r["name"]):
        lines.append(
            f"| {row['name']} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | "
            f"{row['first_ms']:.0f} | {row['queries']} |"
        )
    return "\n".join(lines)


def main() -> None:
    runs = [load(a) for a in sys.argv[1:] if not a.startswith("--")]
    print(key_table(runs))
    if "--full" in sys.argv:
        for label, result in runs:
            print()
            print(full_table(label, result))


if __name__ == "__main__":
    main()
