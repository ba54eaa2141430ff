"""The web benchmark's machine-readable contract (issue 7), at a tiny scale.

``benchmarks/bench_web.py --scale S --format json`` prints ``{"scale", "database", "pages":
[{"name", "p50_ms", "p95_ms", "queries"}, …]}`` covering every page and API list. The routes
are compared with the URL conf walked here, independently of the benchmark's own walk, so a
page added without the benchmark being able to measure it fails this test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_web.py"
SCALE = 0.002
# Routes that are not pages an institution's user reads: the log-in flow and the language
# switch; documents and files are measured apart (under "documents").
NOT_PAGES = {
    "log-in flow",
    "language switch (POST)",
    "document (measured under documents)",
    "file (measured under documents)",
}


def url_conf_names(patterns: list[Any] | None = None, ns: str = "", prefix: str = "") -> set[str]:
    """Every route's name as the benchmark reports it: "app:name", or "api:name" under /api/."""
    names = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        text = prefix + str(pattern.pattern).lstrip("^")
        if isinstance(pattern, URLResolver):
            inner = f"{pattern.namespace}:" if pattern.namespace else ns
            names |= url_conf_names(pattern.url_patterns, inner, text)
        elif isinstance(pattern, URLPattern) and "format" not in str(pattern.pattern):
            name = f"{ns}{pattern.name or ''}"
            names.add(f"api:{name}" if text.startswith("api/") and not ns else name)
    return names


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "finres.web.settings.dev",
        "FINRES_DATA_DIR": str(tmp_path),
    }
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        # The benchmark drops and creates its database: one of its own beside the tests'.
        parts = urlsplit(url)
        env["DATABASE_URL"] = urlunsplit(
            parts._replace(path=parts.path.rstrip("/") + "_bench_contract")
        )
    return env


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp_path = tmp_path_factory.mktemp("bench")
    completed = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--scale",
            str(SCALE),
            "--repeats",
            "1",
            "--pages-only",
            "--no-cold",
            "--quiet",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_environment(tmp_path),
        timeout=900,  # a guard: about 30 s on an idle machine, minutes on a busy one
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return dict(json.loads(completed.stdout))


def test_the_json_has_the_contracts_keys_and_types(result: dict[str, Any]) -> None:
    assert result["scale"] == SCALE
    assert result["database"] in ("sqlite", "postgresql")
    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else None
    assert result["database"] == (expected or "sqlite")
    assert isinstance(result["pages"], list) and result["pages"]
    names = [page["name"] for page in result["pages"]]
    assert len(names) == len(set(names)), "each page is measured under one name"
    for page in result["pages"]:
        assert isinstance(page["name"], str) and page["name"]
        for key in ("p50_ms", "p95_ms"):
            assert isinstance(page[key], int | float) and page[key] > 0, (page, key)
        assert page["p95_ms"] >= page["p50_ms"]
        assert isinstance(page["queries"], int) and page["queries"] > 0, page


def test_every_page_and_api_list_of_the_url_conf_is_measured(result: dict[str, Any]) -> None:
    measured = {page["name"] for page in result["pages"]}
    elsewhere = {o["name"]: o["reason"] for o in result["not_measured"]}
    post_only = set(result["post_only"])
    unexplained = [o for o in result["not_measured"] if o["reason"] not in NOT_PAGES]
    assert unexplained == [], "routes the benchmark could not measure (no sample, an error)"
    missing = sorted(url_conf_names() - measured - set(elsewhere) - post_only)
    assert missing == [], "routes of the URL conf the benchmark does not know"
    for required in ("reports:dashboard", "assessments:list", "evidence:list", "audit:list"):
        assert required in measured
    api_lists = {n for n in url_conf_names() if n.startswith("api:") and n.endswith("-list")}
    assert api_lists and api_lists <= measured
    # Deep pages of the long API lists (the last page, or far along a cursor).
    assert "api:assessment-result-list (deep page)" in measured


def test_pages_are_measured_as_a_logged_in_institution_user(result: dict[str, Any]) -> None:
    by_name = {page["name"]: page for page in result["pages"]}
    dashboard = by_name["reports:dashboard"]
    assert dashboard["user"] == "demo-admin"
    assert re.fullmatch(r"/", dashboard["url"])
    # A page that needs completed authentication answered with content, not a redirect to
    # the log-in page (which has a handful of queries and no data).
    assert by_name["assessments:list"]["bytes"] > 2000
