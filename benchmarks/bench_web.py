"""Benchmark of the web application on a large institution.

Generates, in a fresh SQLite (or DATABASE_URL) database under a temporary data folder, one
institution with about 20 frameworks, 5,000 requirements, 200,000 requirement results (five
years of half-yearly assessments) and 50,000 evidence links, then measures the latency and the
number of SQL queries of the dashboard, the assessment list, an assessment's requirement list
and the evidence list. It runs at two sizes (``--scale``, default 0.1 then 1.0) so that query
counts can be compared: they must not grow with the data.

    .venv/bin/python benchmarks/bench_web.py            # both sizes
    .venv/bin/python benchmarks/bench_web.py --scale 1  # the full size only
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from typing import Any

FRAMEWORKS = 20
REQUIREMENTS_PER_FRAMEWORK = 250  # 5,000 in all
PERIODS = 40  # per framework: 20 frameworks x 40 periods x 250 = 200,000 results
EVIDENCE = 10_000
LINKS = 50_000


def setup_django(data_dir: str) -> None:
    os.environ["FINRES_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "finres.web.settings.dev")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def generate(scale: float) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from finres.web.assessments.models import Assessment, RequirementResult, Result
    from finres.web.evidence.models import Evidence, EvidenceLink
    from finres.web.frameworks.models import Framework, Requirement
    from finres.web.orgs.models import Membership, Organisation

    rng = random.Random(20261121)
    org = Organisation.objects.create(
        name="Large Bank", industry="bank", paid_in_capital=300_000_000_000, uses=["cloud", "ai"]
    )
    user = get_user_model().objects.create_user(username="bench", password="x" * 16)
    Membership.objects.create(user=user, organisation=org, role="ciso")
    periods = max(1, int(PERIODS * scale))
    results_choice = list(Result.values)
    requirement_ids: dict[int, list[int]] = {}
    for f in range(FRAMEWORKS):
        fw = Framework.objects.create(
            code=f"bench-fw-{f:02d}",
            name_zh=f"基準框架 {f}",
            name_en=f"Bench framework {f}",
            version="1",
            kind="regulation",
            binding=True,
            source_language="zh-TW",
            published=dt.date(2020, 1, 1),
            content_hash="bench",
        )
        Requirement.objects.bulk_create(
            Requirement(
                framework=fw,
                code=f"r-{i}",
                position=i,
                ref=str(i),
                assessable=True,
                title_zh=f"要求 {i}",
                title_en=f"Requirement {i}",
                obligation="shall",
            )
            for i in range(REQUIREMENTS_PER_FRAMEWORK)
        )
        requirement_ids[fw.pk] = list(
            Requirement.objects.filter(framework=fw).values_list("pk", flat=True)
        )
        for p in range(periods):
            start = dt.date(2021 + p // 8, 1 + (p % 8) // 4 * 6, 1)
            assessment = Assessment.objects.create(
                organisation=org,
                framework=fw,
                name=f"{fw.code} {p}",
                period_start=start + dt.timedelta(days=p % 4),
                period_end=start + dt.timedelta(days=180),
            )
            RequirementResult.objects.bulk_create(
                (
                    RequirementResult(
                        organisation=org,
                        assessment=assessment,
                        requirement_id=rid,
                        result=rng.choice(results_choice),
                        maturity_level=rng.randint(1, 5),
                    )
                    for rid in requirement_ids[fw.pk]
                ),
                batch_size=2000,
            )
    evidence_count = max(1, int(EVIDENCE * scale))
    Evidence.objects.bulk_create(
        (
            Evidence(
                organisation=org,
                title=f"Evidence {i}",
                kind="link",
                url=f"https://intranet.example/doc/{i}",
                expiry_date=dt.date(2026, 1, 1) + dt.timedelta(days=i % 700),
            )
            for i in range(evidence_count)
        ),
        batch_size=2000,
    )
    evidence_ids = list(Evidence.objects.filter(organisation=org).values_list("pk", flat=True))
    result_ids = list(
        RequirementResult.objects.filter(organisation=org).values_list("pk", flat=True)[
            : max(1, int(LINKS * scale))
        ]
    )
    EvidenceLink.objects.bulk_create(
        (
            EvidenceLink(
                organisation=org, evidence_id=evidence_ids[i % len(evidence_ids)], result_id=rid
            )
            for i, rid in enumerate(result_ids)
        ),
        batch_size=2000,
        ignore_conflicts=True,
    )
    return {
        "org": org,
        "user": user,
        "assessment": Assessment.objects.filter(organisation=org).order_by("pk").first(),
    }


def measure(world: dict[str, Any], repeats: int) -> list[tuple[str, float, float, int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(world["user"])
    device = TOTPDevice.objects.create(user=world["user"], name="bench", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    pages = [
        ("dashboard", reverse("reports:dashboard")),
        ("assessment list", reverse("assessments:list")),
        ("requirement list", reverse("assessments:detail", args=[world["assessment"].pk])),
        ("evidence list", reverse("evidence:list")),
    ]
    rows = []
    for name, url in pages:
        client.get(url)  # warm caches
        times = []
        queries = 0
        for _ in range(repeats):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            queries = len(captured.captured_queries)
        rows.append((name, statistics.median(times) * 1000, max(times) * 1000, queries))
    return rows


def run(scale: float, repeats: int) -> list[tuple[str, float, float, int]]:
    from finres.web.assessments.models import RequirementResult
    from finres.web.evidence.models import EvidenceLink
    from finres.web.frameworks.models import Requirement

    start = time.perf_counter()
    world = generate(scale)
    print(
        f"\nscale {scale}: {Requirement.objects.count()} requirements, "
        f"{RequirementResult.objects.count()} results, {EvidenceLink.objects.count()} "
        f"evidence links (generated in {time.perf_counter() - start:.0f} s)"
    )
    rows = measure(world, repeats)
    print(f"{'page':<18} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    for name, median, worst, queries in rows:
        print(f"{name:<18} {median:>10.1f} {worst:>8.1f} {queries:>8}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, action="append")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    scales = args.scale or [0.1, 1.0]
    results = {}
    for scale in scales:
        with tempfile.TemporaryDirectory(prefix="finres-bench-") as data_dir:
            # One process per size keeps the databases apart.
            if len(scales) > 1:
                import subprocess

                completed = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--scale",
                        str(scale),
                        "--repeats",
                        str(args.repeats),
                    ],
                    check=False,
                )
                if completed.returncode:
                    raise SystemExit(completed.returncode)
                continue
            setup_django(data_dir)
            results[scale] = run(scale, args.repeats)


if __name__ == "__main__":
    main()
