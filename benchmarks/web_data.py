"""The large institution of the web benchmark: data generator and its cache.

Scale 1 is the large institution of issue 7: the shipped library (frameworks and mappings)
loaded as ``finres serve`` loads it, the demo (one object of every kind, people in every role),
and on the demo securities firm: the shipped frameworks assessed over ten periods plus synthetic
frameworks for about 211,000 requirement results in all, 10,000 evidence items with 55,000
links, 2,000 findings, 6,000 milestones, 500 exceptions, 10,000 information systems, 2,000
suppliers, board reports for five years and 100,000 audit events chained with the real keyed
hash (``finres audit verify`` passes). Scale 0.1 has one tenth of each.

Everything is written with ``bulk_create`` (minutes at scale 1 on SQLite). A generated SQLite
data folder is cached per scale, keyed by a hash of this file, the migrations and the library.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

TOTAL_RESULTS = 211_000
SHIPPED_PERIODS = 10
SYNTHETIC_FRAMEWORKS = 20
SYNTHETIC_REQUIREMENTS = 250
LARGE_FRAMEWORK = 6_000
EVIDENCE = 10_000
LINKS = 55_000
FINDINGS = 2_000
MILESTONES_PER_FINDING = 3
EXCEPTIONS = 500
AUDIT_EVENTS = 100_000
SYSTEMS = 10_000
SUPPLIERS = 2_000
BOARD_YEARS = (2021, 2022, 2023, 2024, 2025)
LOAD_USERS = 50  # people of the institution, one per load-test user (own session, own quota)
BATCH = 2_000
END_OF_GENERATION = "\n# end of the generation"

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("FINRES_BENCH_CACHE", Path(tempfile.gettempdir()) / "finres-bench"))


def _n(count: int, scale: float) -> int:
    return max(1, round(count * scale))


def generate(scale: float, log: Any = print) -> None:
    from finres.web import setup

    setup.migrate()
    setup.sync_library()
    context = setup.load_demo()
    org = context.organisations["securities"]
    rng = random.Random(20261207)
    users = _people(org, context)
    step = _stepper(log)
    step("library and demo")
    result_ids = _assessments(org, scale, rng, users, log)
    step("assessments and results")
    _evidence(org, scale, rng, result_ids, users)
    step("evidence and links")
    _improvements(org, scale, rng, result_ids, users)
    _registers(org, scale, rng)
    _board_reports(org, users)
    step("findings, milestones, exceptions, registers, board reports")
    _audit_events(org, scale, rng, users)
    step("audit events")
    _refresh_aggregates(org)
    step("aggregates")
    log(_summary(org))


def _stepper(log: Any) -> Any:
    import time

    last = [time.perf_counter()]

    def step(what: str) -> None:
        now = time.perf_counter()
        log(f"  {what}: {now - last[0]:.1f} s")
        last[0] = now

    return step


def _people(org: Any, context: Any) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from finres.web.orgs.models import Membership
    from finres.web.orgs.roles import Role

    user_model = get_user_model()
    # One hash for everyone: hashing 50 passwords with argon2 costs seconds for nothing.
    template = user_model(username="bench-template")
    template.set_password("bench-password-2026")
    people = user_model.objects.bulk_create(
        user_model(username=f"bench-user-{i:02d}", password=template.password)
        for i in range(LOAD_USERS)
    )
    Membership.objects.bulk_create(
        Membership(
            user=u,
            organisation=org,
            role=Role.CISO if i % 5 == 0 else Role.CONTROL_OWNER,
        )
        for i, u in enumerate(people)
    )
    return {
        "admin": context.users["demo-admin"],
        "ciso": context.users["demo-ciso"],
        "owner": context.users["demo-owner"],
        "people": people,
    }


def _periods(count: int, per_half_year: int = 1) -> list[tuple[dt.date, dt.date]]:
    """Half-yearly periods, newest first, from day 2 (the demo's start on day 1); several per
    half-year (a day apart) keep the synthetic history within five years."""
    out = []
    for p in range(count):
        h, offset = divmod(p, per_half_year)
        year, half = 2025 - h // 2, 1 - h % 2
        start = dt.date(year, 1 + 6 * half, 2 + offset)
        out.append((start, start + dt.timedelta(days=180)))
    return out


def _synthetic_framework(code: str, size: int) -> tuple[Any, list[int]]:
    from finres.web.frameworks.models import Framework, Requirement

    fw = Framework.objects.create(
        code=code,
        name_zh=f"基準測試框架 {code[9:]}",
        name_en=f"Benchmark framework {code[9:]}",
        version="1",
        kind="regulation",
        binding=True,
        source_language="zh-TW",
        published=dt.date(2020, 1, 1),
        content_hash="bench",
    )
    Requirement.objects.bulk_create(
        (
            Requirement(
                framework=fw,
                code=f"r-{i}",
                position=i,
                ref=str(i),
                assessable=True,
                title_zh=f"要求事項 {i}",
                title_en=f"Requirement {i}",
                obligation="shall",
            )
            for i in range(size)
        ),
        batch_size=BATCH,
    )
    reqs = Requirement.objects.filter(framework=fw).order_by("position")
    return fw, list(reqs.values_list("pk", flat=True))


def _assessments(
    org: Any, scale: float, rng: random.Random, users: dict[str, Any], log: Any
) -> list[int]:
    from finres.web.assessments.models import (
        Assessment,
        ProposalState,
        RequirementResult,
        Result,
    )
    from finres.web.frameworks.models import Framework, Requirement

    shipped = list(Framework.objects.filter(active=True).order_by("code"))
    per_framework = {
        f.pk: list(
            Requirement.objects.filter(framework=f, assessable=True, active=True)
            .order_by("position")
            .values_list("pk", flat=True)
        )
        for f in shipped
    }
    target = round(TOTAL_RESULTS * scale)
    plan: list[tuple[Any, list[int], list[tuple[dt.date, dt.date]]]] = []
    shipped_periods = _periods(max(1, round(SHIPPED_PERIODS * scale)))
    for f in shipped:
        if per_framework[f.pk]:
            plan.append((f, per_framework[f.pk], shipped_periods))
    shipped_results = sum(len(r) * len(p) for _, r, p in plan)
    # One large framework assessed once: the XLSX import changes 5,000 rows of one assessment.
    large = _synthetic_framework("bench-large", _n(LARGE_FRAMEWORK, scale))
    plan.append((large[0], large[1], _periods(1)))
    remaining = max(0, target - shipped_results - len(large[1]))
    if remaining:
        frameworks = min(SYNTHETIC_FRAMEWORKS, max(1, remaining // SYNTHETIC_REQUIREMENTS))
        per_period = frameworks * SYNTHETIC_REQUIREMENTS
        periods = _periods(max(1, round(remaining / per_period)), per_half_year=4)
        for k in range(frameworks):
            fw, reqs = _synthetic_framework(f"bench-fw-{k:02d}", SYNTHETIC_REQUIREMENTS)
            plan.append((fw, reqs, periods))
    taken = set(
        Assessment.objects.filter(organisation=org).values_list("framework_id", "period_start")
    )
    owners = [users["owner"], users["ciso"], *users["people"][:10]]
    values = list(Result.values)
    weights = [40, 20, 15, 5, 20]  # compliant, partial, non-compliant, n/a, not assessed
    created: list[Any] = []
    for fw, _reqs, periods in plan:
        for i, (start, end) in enumerate(periods):
            if (fw.pk, start) in taken:
                continue
            created.append(
                Assessment(
                    organisation=org,
                    framework=fw,
                    name=f"{fw.code} {start:%Y-%m}",
                    period_start=start,
                    period_end=end,
                    status="in_progress" if i == 0 else "completed",
                    created_by=users["ciso"],
                )
            )
    Assessment.objects.bulk_create(created, batch_size=BATCH)
    assessments = {
        (a.framework_id, a.period_start): a.pk
        for a in Assessment.objects.filter(organisation=org).only(
            "pk", "framework_id", "period_start"
        )
    }
    from finres.web.assessments.models import maturity_levels

    levels = {fw.pk: list(maturity_levels(fw)) for fw, _r, _p in plan}
    batch: list[Any] = []
    written = 0
    new = {(a.framework_id, a.period_start) for a in created}
    for fw, reqs, periods in plan:
        for start, _end in periods:
            if (fw.pk, start) not in new:
                continue
            assessment_id = assessments[(fw.pk, start)]
            for rid in reqs:
                value = rng.choices(values, weights)[0]
                proposal = rng.random()
                batch.append(
                    RequirementResult(
                        organisation=org,
                        assessment_id=assessment_id,
                        requirement_id=rid,
                        result=value,
                        not_applicable_reason="不適用於本公司業務"
                        if value == "not_applicable"
                        else "",
                        maturity_level=rng.choice(levels[fw.pk])
                        if value != "not_applicable"
                        else None,
                        owner=rng.choice(owners) if rng.random() < 0.6 else None,
                        due_date=start + dt.timedelta(days=rng.randint(30, 400)),
                        comments="已檢視相關文件" if rng.random() < 0.2 else "",
                        proposed_result=rng.choice(values[:3]) if proposal < 0.08 else "",
                        proposal_state=(
                            ProposalState.PENDING
                            if proposal < 0.04
                            else ProposalState.ACCEPTED
                            if proposal < 0.06
                            else ProposalState.OVERRIDDEN
                            if proposal < 0.08
                            else ""
                        ),
                    )
                )
                if len(batch) >= BATCH:
                    RequirementResult.objects.bulk_create(batch)
                    written += len(batch)
                    batch = []
    RequirementResult.objects.bulk_create(batch)
    written += len(batch)
    log(f"{len(created)} assessments, {written} results")
    return list(RequirementResult.objects.filter(organisation=org).values_list("pk", flat=True))


def _evidence(
    org: Any, scale: float, rng: random.Random, result_ids: list[int], users: dict[str, Any]
) -> None:
    from finres.web.evidence.models import Evidence, EvidenceLink

    today = dt.date(2026, 12, 7)
    states = ["approved", "approved", "approved", "pending", "rejected"]
    items = []
    for i in range(_n(EVIDENCE, scale)):
        # Some expired, some expiring within 90 days, most later or never.
        expiry = today + dt.timedelta(days=rng.randint(-200, 700)) if i % 4 else None
        effective = today - dt.timedelta(days=rng.randint(0, 1500))
        if expiry is not None and effective > expiry:
            effective = expiry - dt.timedelta(days=365)
        items.append(
            Evidence(
                organisation=org,
                title=f"佐證文件 {i:05d}",
                description="年度資安檢核佐證",
                kind="link",
                url=f"https://intranet.example/doc/{i}",
                effective_date=effective,
                expiry_date=expiry,
                review_state=rng.choice(states),
                uploaded_by=rng.choice(users["people"]),
            )
        )
    Evidence.objects.bulk_create(items, batch_size=BATCH)
    evidence_ids = list(Evidence.objects.filter(organisation=org).values_list("pk", flat=True))
    count = min(_n(LINKS, scale), len(result_ids))
    chosen = rng.sample(result_ids, count)
    EvidenceLink.objects.bulk_create(
        (
            EvidenceLink(organisation=org, evidence_id=rng.choice(evidence_ids), result_id=rid)
            for rid in chosen
        ),
        batch_size=BATCH,
        ignore_conflicts=True,
    )


def _improvements(
    org: Any, scale: float, rng: random.Random, result_ids: list[int], users: dict[str, Any]
) -> None:
    from finres.web.assessments.models import RequirementResult
    from finres.web.improvements.models import Finding, Milestone, RiskException

    today = dt.date(2026, 12, 7)
    now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    sample = rng.sample(result_ids, min(len(result_ids), _n(FINDINGS, scale) + EXCEPTIONS))
    requirement_of = dict(
        RequirementResult.objects.filter(pk__in=sample).values_list("pk", "requirement_id")
    )
    findings = []
    for i in range(_n(FINDINGS, scale)):
        rid = sample[i % len(sample)]
        status = rng.choice(["open", "open", "in_progress", "closed"])
        findings.append(
            Finding(
                organisation=org,
                title=f"改善事項 {i:04d}：存取控制未落實",
                description="稽核發現之缺失，需於期限內改善",
                source=rng.choice(["assessment", "audit", "check", "incident", "other"]),
                severity=rng.choice(["low", "medium", "high", "critical"]),
                requirement_id=requirement_of[rid],
                result_id=rid,
                plan="分階段導入並定期追蹤",
                owner=rng.choice(users["people"]),
                due_date=today + dt.timedelta(days=rng.randint(-300, 400)),
                status=status,
                created_by=users["ciso"],
                closed_at=now if status == "closed" else None,
                closing_note="已完成改善" if status == "closed" else "",
            )
        )
    Finding.objects.bulk_create(findings, batch_size=BATCH)
    finding_ids = list(
        Finding.objects.filter(organisation=org).order_by("pk").values_list("pk", flat=True)
    )[-len(findings) :]
    milestones = []
    for fid in finding_ids:
        for m in range(MILESTONES_PER_FINDING):
            done = rng.random() < 0.4
            milestones.append(
                Milestone(
                    organisation=org,
                    finding_id=fid,
                    title=f"里程碑 {m + 1}",
                    owner=rng.choice(users["people"]),
                    due_date=today + dt.timedelta(days=rng.randint(-200, 300)),
                    done=done,
                    done_at=now if done else None,
                    done_by=users["owner"] if done else None,
                )
            )
    Milestone.objects.bulk_create(milestones, batch_size=BATCH)
    exceptions = []
    for i in range(_n(EXCEPTIONS, scale)):
        rid = sample[-1 - i % len(sample)]
        status = rng.choice(["proposed", "approved", "approved", "rejected", "closed"])
        decided = status in ("approved", "rejected", "closed")
        exceptions.append(
            RiskException(
                organisation=org,
                title=f"風險接受 {i:03d}",
                requirement_id=requirement_of[rid],
                result_id=rid,
                finding_id=rng.choice(finding_ids) if i % 3 == 0 else None,
                risk="暫時無法導入多因子驗證",
                compensating_controls="加強監控與日誌檢視",
                proposed_by=users["owner"],
                approver=users["ciso"] if status in ("approved", "closed") else None,
                approved_at=now if status in ("approved", "closed") else None,
                rejected_by=users["ciso"] if status == "rejected" else None,
                rejected_at=now if status == "rejected" else None,
                decision_note="同意於期限內接受" if decided else "",
                expiry_date=today + dt.timedelta(days=rng.randint(-60, 360)),
                status=status,
                closed_at=now if status == "closed" else None,
                closed_by=users["ciso"] if status == "closed" else None,
                closing_note="已完成改善" if status == "closed" else "",
            )
        )
    RiskException.objects.bulk_create(exceptions, batch_size=BATCH)


def _registers(org: Any, scale: float, rng: random.Random) -> None:
    from finres.web.registers.models import InformationSystem, Supplier

    InformationSystem.objects.bulk_create(
        (
            InformationSystem(
                organisation=org,
                code=f"BS-{i:05d}",
                name=f"資訊系統 {i:05d}",
                description="營運支援系統",
                owner="資訊處",
                internet_facing=i % 7 == 0,
            )
            for i in range(_n(SYSTEMS, scale))
        ),
        batch_size=BATCH,
    )
    suppliers = []
    for i in range(_n(SUPPLIERS, scale)):
        supplier = Supplier(
            organisation=org,
            code=f"BV-{i:04d}",
            name=f"供應商 {i:04d} 股份有限公司",
            system_access=rng.choice(["core_systems", "non_core_systems", "none", "none"]),
        )
        decision = supplier.decide_tier()  # as save() does; bulk_create does not call it
        supplier.tier = decision.tier.id
        supplier.tier_rule = decision.rule.id if decision.rule else ""
        suppliers.append(supplier)
    Supplier.objects.bulk_create(suppliers, batch_size=BATCH)


def _board_reports(org: Any, users: dict[str, Any]) -> None:
    from finres.web.reports.models import BoardReport, Declaration

    years = set(Declaration.objects.filter(organisation=org).values_list("year", flat=True))
    if not Declaration.objects.filter(organisation=org, status="draft").exists():
        Declaration.objects.create(
            organisation=org,
            year=max(years | {2025}) + 1,
            statement="本公司資通安全內部控制制度有效運作",
            status="draft",
        )

    have = set(BoardReport.objects.filter(organisation=org).values_list("year", flat=True))
    BoardReport.objects.bulk_create(
        BoardReport(
            organisation=org,
            year=year,
            status="final" if year < 2025 else "draft",
            summary=f"{year} 年度資通安全執行情形",
            programme_execution="各項計畫依進度執行",
            risk_assessment="主要風險為供應鏈與勒索軟體",
            prepared_by=users["ciso"],
        )
        for year in BOARD_YEARS
        if year not in have
    )


def _audit_events(org: Any, scale: float, rng: random.Random, users: dict[str, Any]) -> None:
    """Events appended after the demo's, chained and keyed exactly as ``audit.log.append``."""
    from django.db import transaction

    from finres.web.audit.chain import GENESIS, SCHEME_HMAC, event_hash
    from finres.web.audit.keys import audit_key
    from finres.web.audit.models import AuditEvent, AuditHead

    key = audit_key()
    people = [users["admin"], users["ciso"], users["owner"], *users["people"]]
    kinds = [
        ("update", "assessments.requirementresult", {"result": ["not_assessed", "compliant"]}),
        ("create", "evidence.evidence", {"title": [None, "佐證文件"]}),
        ("create", "evidence.evidencelink", {"result_id": [None, 1]}),
        ("update", "improvements.finding", {"status": ["open", "in_progress"]}),
        ("login", "security", {}),
    ]
    fields = {f.attname for f in AuditEvent._meta.concrete_fields}
    start = dt.datetime(2021, 7, 1, tzinfo=dt.UTC)
    total = _n(AUDIT_EVENTS, scale)
    step = (dt.datetime(2026, 12, 1, tzinfo=dt.UTC) - start) / total
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"sequence": 0, "hash": GENESIS}
        )
        sequence, previous = head.sequence, head.hash
        batch: list[Any] = []
        for i in range(total):
            user = rng.choice(people)
            action, model, changes = rng.choice(kinds)
            sequence += 1
            entry: dict[str, Any] = {
                "sequence": sequence,
                "timestamp": (start + step * i).isoformat(timespec="microseconds"),
                "actor_id": user.pk,
                "actor_name": user.username,
                "organisation_id": org.pk,
                "action": action,
                "model": model,
                "object_id": str(rng.randint(1, 200_000)),
                "object_repr": f"{model} #{i}",
                "changes": changes,
                "previous_hash": previous,
                "scheme": SCHEME_HMAC,
            }
            event = AuditEvent(**{k: v for k, v in entry.items() if k in fields})
            # Hashed from the stored form, as ``finres audit verify`` reads it back.
            event.hash = previous = event_hash(event.as_chain_entry(), key)
            batch.append(event)
            if len(batch) >= BATCH:
                AuditEvent.objects.bulk_create(batch)
                batch = []
        AuditEvent.objects.bulk_create(batch)
        head.sequence, head.hash = sequence, previous
        head.save(update_fields=["sequence", "hash"])
    # the versions of each kind of data follow the events written around ``log.append``
    from finres.web.audit import log

    rebuild = getattr(log, "rebuild_versions", None)
    if callable(rebuild):
        rebuild()


def _refresh_aggregates(org: Any) -> None:
    """Aggregates kept beside the rows (when the code has them) follow the bulk-written rows."""
    from importlib import import_module

    from finres.web.assessments.models import Assessment

    try:
        aggregates = import_module("finres.web.assessments.aggregates")
    except ModuleNotFoundError:
        return
    refresh = getattr(aggregates, "refresh_assessment_aggregates", None)
    if callable(refresh):
        refresh(list(Assessment.objects.filter(organisation=org).values_list("pk", flat=True)))


# end of the generation: changes below this line do not invalidate the cached databases


def setup_django(data_dir: str) -> None:
    """Django on ``data_dir`` (SQLite there unless ``DATABASE_URL`` names another database)."""
    os.environ["FINRES_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "finres.web.settings.dev")
    from finres.web.setup import bootstrap

    bootstrap()
    from django.conf import settings

    for host in ("testserver", "127.0.0.1", "localhost"):
        if host not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS.append(host)
    # One person measuring every page many times goes past the per-person API rate (1,200 a
    # minute) once pages are quick: what is measured is the page, not the limit.
    settings.FINRES_THROTTLE_RATES = {**settings.FINRES_THROTTLE_RATES, "person": None}


def analyze() -> None:
    """The planner's statistics of every table (SQLite: only when asked, as a DBA would)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def database_kind() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def source_key() -> str:
    """What the cached database depends on: this generator, the migrations, the library."""
    # The generator's own text, up to the helpers that do not change the data.
    digest = hashlib.sha256(Path(__file__).read_text().split(END_OF_GENERATION)[0].encode())
    web = ROOT / "src" / "finres" / "web"
    for path in sorted(web.glob("*/migrations/*.py")) + sorted(
        (ROOT / "src" / "finres" / "content").rglob("*.yaml")
    ):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    for path in sorted(web.glob("*/demo.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached_sqlite(scale: float, data_dir: str, log: Any = print) -> bool:
    """Copy a cached data folder for ``scale`` into ``data_dir``; False when none is cached."""
    source = CACHE / f"{source_key()}-{scale:g}"
    if not (source / "finres.sqlite3").exists():
        return False
    log(f"using the cached database {source}")
    shutil.copytree(source, data_dir, dirs_exist_ok=True)
    return True


def store_sqlite(scale: float, data_dir: str) -> None:
    """Keep the data folder for the next run (the folder of old sources can be deleted)."""
    from django.db import connection

    connection.close()
    target = CACHE / f"{source_key()}-{scale:g}"
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(data_dir, partial, ignore=shutil.ignore_patterns("static", "*-wal", "*-shm"))
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)


def prepare(scale: float, data_dir: str, use_cache: bool = True, log: Any = print) -> None:
    """A database at ``scale`` for ``data_dir`` (Django set up on it), from the cache if can.

    PostgreSQL: the database named by ``DATABASE_URL`` (its name must contain "bench") is
    dropped and created again, as a copy of a cached template database when there is one.
    """
    import time

    sqlite = database_kind() == "sqlite"
    if sqlite:
        hit = use_cache and cached_sqlite(scale, data_dir, log)
    else:
        hit = _postgres_database(scale, data_dir, use_cache, log)
    setup_django(data_dir)
    if hit:
        from finres.web.setup import migrate

        migrate()  # nothing to do unless a migration landed since (then the key differs)
        return
    start = time.perf_counter()
    generate(scale, log)
    log(f"generated scale {scale:g} in {time.perf_counter() - start:.0f} s")
    if use_cache:
        store_sqlite(scale, data_dir) if sqlite else _store_postgres(scale, data_dir)


def _postgres_names() -> tuple[str, str]:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    return name, urlunsplit(parts._replace(path="/postgres"))


def _template_name(scale: float) -> str:
    return f"finres_benchcache_{source_key()}_{scale:g}".replace(".", "_")


def _postgres_database(scale: float, data_dir: str, use_cache: bool, log: Any) -> bool:
    """Drop and create the database, from the cached template if any; True if cached."""
    import psycopg

    name, admin = _postgres_names()
    template = _template_name(scale)
    folder = CACHE / f"pg-{source_key()}-{scale:g}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [template]
        ).fetchone()
        if use_cache and found and folder.exists():
            log(f"using the cached database {template}")
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            shutil.copytree(folder, data_dir, dirs_exist_ok=True)
            return True
        connection.execute(f'CREATE DATABASE "{name}"')
    return False


def _store_postgres(scale: float, data_dir: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()  # a template must have no other connection
    name, admin = _postgres_names()
    template = _template_name(scale)
    with psycopg.connect(admin, autocommit=True) as connection:
        # Caches of other sources are left alone: another checkout may still use them.
        connection.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
    folder = CACHE / f"pg-{source_key()}-{scale:g}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(data_dir, folder, ignore=shutil.ignore_patterns("static"))


def _summary(org: Any) -> str:
    return ", ".join(f"{v:,} {k}" for k, v in counts(org).items())


def counts(org: Any) -> dict[str, int]:
    """How many rows of each kind the database holds (the institution's where it matters)."""
    from finres.web.assessments.models import Assessment, RequirementResult
    from finres.web.audit.models import AuditEvent
    from finres.web.evidence.models import Evidence, EvidenceLink
    from finres.web.frameworks.models import Framework, Mapping, Requirement
    from finres.web.improvements.models import Finding, Milestone, RiskException

    counts = {
        "frameworks": Framework.objects.count(),
        "requirements": Requirement.objects.count(),
        "mappings": Mapping.objects.count(),
        "assessments": Assessment.objects.filter(organisation=org).count(),
        "results": RequirementResult.objects.count(),
        "evidence": Evidence.objects.count(),
        "evidence links": EvidenceLink.objects.count(),
        "findings": Finding.objects.count(),
        "milestones": Milestone.objects.count(),
        "exceptions": RiskException.objects.count(),
        "audit events": AuditEvent.objects.count(),
    }
    return counts
