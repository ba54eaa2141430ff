"""What the web benchmark measures: every page and API list found in the URL conf, documents,
XLSX export and import, the audit verification and a few writes.

Every route is found by walking the URL resolver (as ``tests/web/test_isolation.py`` does), so
a page added later is measured without changing this file; a route whose parameters cannot be
filled from the data, or that does not answer 200, is listed under ``problems`` (the contract
test fails on it).
"""

from __future__ import annotations

import io
import math
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")

# Routes that are not pages of the institution: the log-in flow, language switch, documents
# (measured apart, fewer times), files (download, export) and POST-only actions.
SKIP = {
    r"^accounts/(login|logout|second-factor|password/reset|sso|invitation)/": "log-in flow",
    r"^i18n/": "language switch (POST)",
    r"/(pdf|docx)/$": "document (measured under documents)",
    r"(\.xlsx|\.csv|\.svg)$|/export/$|/(gaps|download)/$": "file (measured under documents)",
}
PREFERRED = {
    "reports.BoardReport": {"status": "draft"},
    "reports.Declaration": {"status": "draft"},
    "improvements.RiskException": {"status": "proposed"},
}
# Which model a route's <pk> names, where the view does not say (longest prefix wins).
MODEL_BY_PREFIX = {
    "reports/board/": "reports.BoardReport",
    "reports/declarations/": "reports.Declaration",
    "accounts/organisation/members/": "orgs.Membership",
    "accounts/organisation/invitations/": "orgs.Invitation",
    "assessments/": "assessments.Assessment",
    "assessments/results/": "assessments.RequirementResult",
    "evidence/": "evidence.Evidence",
    "improvements/findings/": "improvements.Finding",
    "improvements/milestones/": "improvements.Milestone",
    "improvements/exceptions/": "improvements.RiskException",
    "registers/systems/": "registers.InformationSystem",
    "registers/suppliers/": "registers.Supplier",
    "registers/sites/": "registers.Site",
    "continuity/services/": "continuity.CriticalService",
    "continuity/impacts/": "continuity.ImpactRating",
    "continuity/nodes/": "continuity.Node",
    "continuity/dependencies/": "continuity.Dependency",
    "continuity/layers/": "continuity.RecoveryLayer",
    "continuity/scenarios/": "continuity.Scenario",
}


@dataclass
class Route:
    template: str
    name: str
    view: Any

    @property
    def is_api(self) -> bool:
        return self.template.startswith("api/")


@dataclass
class Page:
    name: str
    url: str
    route: str
    kind: str  # page | api
    client: Any = None
    user: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    cold_ms: float = 0.0
    times: list[float] = field(default_factory=list)
    queries: int = 0
    bytes: int = 0

    def row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "p50_ms": round(p50(self.times), 1),
            "p95_ms": round(p95(self.times), 1),
            "queries": self.queries,
            "kind": self.kind,
            "route": self.route,
            "url": self.url,
            "first_ms": round(self.cold_ms, 1),
            "runs": len(self.times),
            "bytes": self.bytes,
            "user": self.user,
        }


def p50(times: list[float]) -> float:
    return statistics.median(times) * 1000 if times else 0.0


def p95(times: list[float]) -> float:
    if not times:
        return 0.0
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] * 1000


def routes(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[Route]:
    from django.urls import URLPattern, URLResolver, get_resolver

    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        text = str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            ns = f"{pattern.namespace}:" if pattern.namespace else ""
            for inner in routes(pattern.url_patterns, prefix + text):
                yield Route(inner.template, ns + inner.name if ns else inner.name, inner.view)
        elif isinstance(pattern, URLPattern):
            if "format" in text:  # DRF's .json suffix variants duplicate the plain routes
                continue
            yield Route(prefix + text, pattern.name or "", pattern.callback)


def route_name(route: Route) -> str:
    return f"api:{route.name}" if route.is_api and ":" not in route.name else route.name


def skip_reason(template: str) -> str | None:
    for pattern, reason in SKIP.items():
        if re.search(pattern, template):
            return reason
    return None


def params(template: str) -> list[str]:
    return [m.group("name") or m.group("rname") for m in PARAM.finditer(template)]


def fill(template: str, values: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        return str(values[match.group("name") or match.group("rname")])

    return "/" + PARAM.sub(one, template).replace("\\", "")


class Samples:
    """Real objects of the institution for each route's parameters."""

    def __init__(self, org: Any) -> None:
        from finres.web.assessments.models import Assessment, RequirementResult
        from finres.web.evidence.models import Evidence, EvidenceLink

        self.org = org
        # The largest assessment in progress: its pages list the most results.
        self.assessment = (
            Assessment.objects.filter(organisation=org, status="in_progress")
            .exclude(framework__code="bench-large")
            .order_by("-period_start", "framework__code")
            .first()
        )
        self.large = Assessment.objects.filter(
            organisation=org, framework__code="bench-large"
        ).first()
        self.result = (
            RequirementResult.objects.filter(assessment=self.assessment).order_by("pk").first()
        )
        from finres.web.assessments.models import ISO27001_ANNEX_A

        # The Statement of Applicability exists for ISO/IEC 27001 Annex A assessments only.
        self.soa = (
            Assessment.objects.filter(organisation=org, framework__code=ISO27001_ANNEX_A)
            .order_by("-period_start")
            .first()
        )
        self.soa_result = (
            RequirementResult.objects.filter(assessment=self.soa).values_list("pk", flat=True)
        ).first()
        linked = EvidenceLink.objects.filter(organisation=org).order_by("pk").first()
        self.link = linked
        self.evidence = Evidence.objects.filter(organisation=org, kind="file").order_by(
            "pk"
        ).first() or (linked.evidence if linked else None)

    def model_of(self, route: Route) -> Any:
        from django.apps import apps

        for prefix, label in sorted(MODEL_BY_PREFIX.items(), key=lambda p: -len(p[0])):
            if route.template.startswith(prefix):
                return apps.get_model(label)
        view = route.view
        cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
        if cls is None:
            return None
        for attr in ("queryset", "model"):
            value = getattr(cls, attr, None)
            if value is not None:
                return getattr(value, "model", value)
        serializer = getattr(cls, "serializer_class", None)
        meta = getattr(serializer, "Meta", None)
        return getattr(meta, "model", None) or self.model_named(route.template)

    @staticmethod
    def model_named(template: str) -> Any:
        """The model a path names before its id ("continuity/drills/<pk>/" → a Drill)."""
        from django.apps import apps

        parts = template.split("/")
        for i, part in enumerate(parts[1:], 1):
            if "<" in part or "(?P" in part:
                word = parts[i - 1].replace("-", "").replace("_", "")
                singular = word[:-1] if word.endswith("s") else word
                ours = [m for m in apps.get_models() if m.__module__.startswith("finres.web.")]
                # The app's own model first ("crypto/assets" → crypto.CryptoAsset), then any.
                for app_first in (True, False):
                    for model in ours:
                        if app_first and model._meta.app_label != parts[0]:
                            continue
                        if model._meta.model_name in (word, singular) or (
                            len(singular) > 3 and model._meta.model_name.endswith(singular)
                        ):
                            return model
                return None
        return None

    def pick(self, model: Any) -> Any:
        label = model._meta.label
        special = {
            "assessments.Assessment": self.assessment,
            "assessments.RequirementResult": self.result,
            "evidence.Evidence": self.evidence,
            "evidence.EvidenceLink": self.link,
        }
        if label in special and special[label] is not None:
            return special[label].pk
        query = model.objects.all()
        if label in PREFERRED:  # one that every page of it accepts (a draft can be edited)
            query = query.filter(**PREFERRED[label])
        if any(f.name == "organisation" for f in model._meta.get_fields()):
            query = query.filter(organisation=self.org)
        if label == "orgs.Organisation":
            return self.org.pk
        if not query.query.order_by:
            query = query.order_by("pk")
        row = query.values_list("pk", flat=True).first()
        return row

    def values(self, route: Route) -> dict[str, Any] | None:
        from finres.web.frameworks.models import Framework, Requirement

        names = params(route.template)
        if not names:
            return {}
        out: dict[str, Any] = {}
        model = self.model_of(route)
        text = route.template
        for name in names:
            if name == "code":
                out[name] = self.assessment.framework.code
            elif name == "requirement":
                requirement = (
                    Requirement.objects.filter(framework=self.assessment.framework)
                    .order_by("position")
                    .first()
                )
                out[name] = requirement.code if requirement else None
            elif name == "register":
                out[name] = "systems"
            elif name == "source":  # a register's search behind its forms' select boxes
                out[name] = "registers.informationsystem"
            elif name == "result_id":
                out[name] = self.result.pk
            elif name == "link_pk":
                out[name] = self.link.pk if self.link else None
            elif name == "pk" and "/evidence/" in "/" + text and "links" in text:
                out[name] = self.link.evidence_id if self.link else None
            elif name == "pk" and "soa" in text and self.soa is not None:
                out[name] = self.soa.pk if text.startswith("assessments/<") else self.soa_result
            elif name == "pk" and text.startswith(
                ("evidence/assessments/", "api/assessment-workbooks/")
            ):
                out[name] = self.assessment.pk
            elif name == "pk" and model is not None:
                out[name] = self.pick(model)
            elif name == "pk" and text.startswith("library/"):
                out[name] = Framework.objects.order_by("pk").first().pk
            else:
                return None
            if out[name] is None:
                return None
        return out


def linked_values(client: Any, template: str) -> dict[str, Any] | None:
    """Parameters of ``template`` taken from a link on the page above it (or the one above)."""
    names = params(template)
    pattern = re.compile(
        "^/" + PARAM.sub("([^/?#]+)", template.replace("\\", "")).replace(".", "\\.") + "$"
    )
    parts = template.split("/")
    first = next(i for i, part in enumerate(parts) if "<" in part or "(?P" in part)
    for end in range(first, 0, -1):
        above = "/" + "/".join(parts[:end]) + "/"
        response = client.get(above)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for href in re.findall(r'href="([^"]+)"', response.content.decode("utf-8", "replace")):
            match = pattern.match(href.split("?")[0])
            if match:
                return dict(zip(names, match.groups(), strict=True))
    return None


def login_client(user: Any) -> Any:
    """A test client with a completed log-in (password and a verified second factor)."""
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


class QueryCount:
    """SQL statements run inside the block (no limit, unlike Django's 9,000-query log)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> QueryCount:
        from django.db import connection

        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._wrapper.__exit__(*exc)


def timed(client: Any, method: str, url: str, **kwargs: Any) -> tuple[Any, float, int]:
    with QueryCount() as queries:
        start = time.perf_counter()
        response = getattr(client, method)(url, **kwargs)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        elapsed = time.perf_counter() - start
    return response, elapsed, queries.count


def discover(
    clients: list[tuple[str, Any]], samples: Samples
) -> tuple[list[Page], list[dict[str, Any]]]:
    """The measurable pages (GET answers 200), and every other route with the reason.

    ``clients`` are (user name, logged-in client): the first (the institution's administrator)
    measures every page it may open; the others the pages it may not (the group's view).
    """
    pages: list[Page] = []
    others: list[dict[str, Any]] = []
    for route in routes():
        name = route_name(route)
        reason = skip_reason(route.template)
        if reason:
            others.append({"name": name, "route": route.template, "reason": reason})
            continue
        values = samples.values(route)
        if values is None:  # a link to such a page on the pages above it
            values = linked_values(clients[0][1], route.template)
        if values is None:
            others.append({"name": name, "route": route.template, "reason": "no sample"})
            continue
        url = fill(route.template, values)
        headers: dict[str, str] = {}
        for user, client in clients:  # noqa: B007 (the user found is kept with the page)
            response, elapsed, queries = timed(client, "get", url)
            if response.status_code == 302:  # a fragment that HTMX asks for (a table row)
                headers = {"HTTP_HX_REQUEST": "true"}
                response, elapsed, queries = timed(client, "get", url, **headers)
            if response.status_code not in (403, 404):
                break
        if response.status_code == 405:
            others.append({"name": name, "route": route.template, "reason": "POST only"})
            continue
        if response.status_code != 200:
            others.append(
                {
                    "name": name,
                    "route": route.template,
                    "url": url,
                    "reason": f"answered {response.status_code}",
                }
            )
            continue
        page = Page(name, url, route.template, "api" if route.is_api else "page", client, user)
        page.headers = headers
        page.cold_ms = elapsed * 1000
        page.queries = queries
        pages.append(page)
        if route.is_api and route.name.endswith("-list"):
            deep = deep_page(client, url, response)
            if deep:
                pages.append(Page(f"{name} (deep page)", deep, route.template, "api", client, user))
    return pages, others


def deep_page(client: Any, url: str, response: Any) -> str | None:
    """The URL of a page far into a long API list (the last page, or 20 cursor steps in)."""
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict) or not data.get("next"):
        return None
    if "count" in data and "page=" in data["next"]:
        return f"{url}?page=last"
    nxt = data["next"]
    for _ in range(20):
        following = client.get(nxt).json().get("next")
        if not following:
            break
        nxt = following
    parts = urlsplit(nxt)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def is_list(page: Page) -> bool:
    """Lists, overviews and reports (no object in the path) and deep API pages."""
    return not params(page.route) or "deep page" in page.name


def measure_pages(
    pages: list[Page], repeats: int, progress: Callable[[str], None], other_repeats: int = -1
) -> None:
    """``repeats`` warm requests per page after the first (0: the first request only);
    ``other_repeats`` (if not negative) for the pages of one object (detail, edit forms)."""
    for page in pages:
        repeats_here = other_repeats if other_repeats >= 0 and not is_list(page) else repeats
        page_repeats(page, repeats_here, progress)


def page_repeats(page: Page, repeats: int, progress: Callable[[str], None]) -> None:
    if not page.cold_ms:
        _, elapsed, page.queries = timed(page.client, "get", page.url, **page.headers)
        page.cold_ms = elapsed * 1000
    if not repeats:
        page.times = [page.cold_ms / 1000]
    for _ in range(repeats):
        response, elapsed, queries = timed(page.client, "get", page.url, **page.headers)
        if response.status_code != 200:
            raise RuntimeError(f"{page.url} answered {response.status_code}")
        page.times.append(elapsed)
        page.queries = queries
        page.bytes = len(response.content) if not getattr(response, "streaming", 0) else 0
    progress(f"{page.name:<48} p50 {p50(page.times):8.1f} ms  p95 {p95(page.times):8.1f} ms")


def _operation(
    name: str, run: Callable[[], Any], repeats: int, check: Callable[[Any], bool] | None = None
) -> dict[str, Any]:
    times = []
    queries = 0
    outcome: Any = None
    for _ in range(repeats):
        with QueryCount() as counted:
            start = time.perf_counter()
            outcome = run()
            times.append(time.perf_counter() - start)
        queries = counted.count
        if check is not None and not check(outcome):
            body = getattr(outcome, "content", b"")[:500].decode("utf-8", "replace")
            raise RuntimeError(f"{name}: unexpected outcome {outcome!r:.300} {body}")
    return {
        "name": name,
        "p50_ms": round(p50(times), 1),
        "p95_ms": round(p95(times), 1),
        "first_ms": round(times[0] * 1000, 1),
        "queries": queries,
        "runs": repeats,
    }


def _ok(response: Any) -> bool:
    return response.status_code in (200, 201, 202, 204, 302)


def documents(client: Any, samples: Samples, repeats: int) -> list[dict[str, Any]]:
    """Reports through their routes (whatever path they take) and their rendering functions."""
    from django.urls import NoReverseMatch, reverse

    from finres.web.reports.documents import board_report_docx, board_report_pdf
    from finres.web.reports.models import BoardReport

    report = BoardReport.objects.filter(organisation=samples.org).order_by("-year").first()
    rows = []
    get = client.get
    routes_ = [
        ("board report PDF (route)", "reports:board_pdf", [report.pk]),
        ("board report DOCX (route)", "reports:board_docx", [report.pk]),
        ("assessment XLSX export (route)", "evidence:assessment_export", [samples.large.pk]),
        ("gap report XLSX (route)", "evidence:gap_report", [samples.large.pk]),
        ("audit CSV export (route)", "audit:export", []),
        ("registers export (route)", "registers:export", ["systems"]),
    ]
    for name, view, args in routes_:
        try:
            url = reverse(view, args=args)
        except NoReverseMatch:
            continue
        rows.append(_operation(name, _getter(get, url), repeats, _ok))
    rows += job_documents(client, report, repeats)
    from finres.web.evidence.xlsx import export_assessment

    rows.append(_operation("board report PDF (render)", lambda: board_report_pdf(report), repeats))
    rows.append(
        _operation("board report DOCX (render)", lambda: board_report_docx(report), repeats)
    )
    rows.append(
        _operation(
            "assessment XLSX export (render)", lambda: export_assessment(samples.large), repeats
        )
    )
    return rows


def job_documents(client: Any, report: Any, repeats: int) -> list[dict[str, Any]]:
    """Documents made by background jobs (when the code has them): the request that starts
    the job (not waiting for it), then the job's run as a worker does it, one after the other."""
    try:
        from finres.web.jobs.models import Job
        from finres.web.jobs.services import run as run_job
    except ImportError:
        return []
    from django.conf import settings
    from django.urls import reverse

    rows = []
    waited = getattr(settings, "FINRES_JOB_WAIT_SECONDS", None)
    settings.FINRES_JOB_WAIT_SECONDS = 0  # the request only starts the job: no worker here

    def work() -> Any:
        job = Job.objects.filter(state=Job.State.QUEUED).order_by("-pk").first()
        return run_job(job.pk) if job else "no job"

    # Jobs the routes above left queued (no worker here) would be joined by the next request
    # instead of a new one being started: run them first, untimed.
    for pk in Job.objects.filter(state=Job.State.QUEUED).values_list("pk", flat=True):
        run_job(pk)

    try:
        for name, view in (("PDF", "reports:board_pdf"), ("DOCX", "reports:board_docx")):
            url = reverse(view, args=[report.pk])
            extra: list[float] = []
            runs = [
                (
                    _operation(
                        f"board report {name} (job: request)", _getter(client.get, url), 1, _ok
                    ),
                    _operation(
                        f"board report {name} (job: run)",
                        with_extra_memory(work, extra),
                        1,
                        lambda s: s == "succeeded",
                    ),
                )
                for _ in range(repeats)
            ]
            for k in range(2):
                row = runs[0][k]
                times = [run[k]["first_ms"] / 1000 for run in runs]
                row.update(
                    p50_ms=round(p50(times), 1), p95_ms=round(p95(times), 1), runs=len(times)
                )
                if k == 1:  # the most memory one run needed above the process before it
                    row["extra_memory_mib"] = round(max(extra), 1)
                rows.append(row)
    finally:
        if waited is None:
            del settings.FINRES_JOB_WAIT_SECONDS
        else:
            settings.FINRES_JOB_WAIT_SECONDS = waited
    return rows


def _resident_mib() -> float:
    """The process's resident memory now (Linux), C libraries' allocations included."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


def with_extra_memory(run: Callable[[], Any], into: list[float]) -> Callable[[], Any]:
    """``run`` that appends to ``into`` how far the resident memory rose above where it started
    while it ran (MiB; sampled every 5 ms by a thread: what a worker process needs on top)."""

    def measured() -> Any:
        start, peak, done = _resident_mib(), [0.0], threading.Event()

        def sample() -> None:
            while not done.wait(0.005):
                peak[0] = max(peak[0], _resident_mib())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            return run()
        finally:
            done.set()
            sampler.join()
            into.append(max(peak[0], _resident_mib()) - start)

    return measured


def _getter(get: Callable[[str], Any], url: str) -> Callable[[], Any]:
    def run() -> Any:
        return _drain(get(url))

    return run


def _drain(response: Any) -> Any:
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return response


def xlsx_import(samples: Samples, changed: int) -> dict[str, Any]:
    """Import ``changed`` modified rows of the large assessment's workbook."""
    import openpyxl

    from finres.web.audit.context import Actor, acting_as
    from finres.web.evidence import xlsx

    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.export_assessment(samples.large)))
    sheet = workbook.worksheets[0]
    column = 1 + [c.key for c in xlsx.COLUMNS].index("comments")
    rows = min(changed, sheet.max_row - 1)
    stamp = time.strftime("%H%M%S")
    for r in range(2, rows + 2):
        sheet.cell(row=r, column=column).value = f"基準測試修改 {stamp} {r}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()

    def run() -> Any:
        with acting_as(Actor(None, "bench")):
            return xlsx.import_results(samples.large, io.BytesIO(data), len(data), "bench.xlsx")

    row = _operation(
        f"XLSX import, {rows:,} changed rows", run, 1, lambda r: not getattr(r, "errors", [])
    )
    row["rows"] = rows
    return row


def audit(repeats: int, incremental: bool = False) -> list[dict[str, Any]]:
    """The whole trail verified again; or (``incremental``) only what was not verified yet,
    when the code keeps a checkpoint (``verify_trail(full=…)``)."""
    import inspect

    from finres.web.audit.verification import verify_trail

    has_full = "full" in inspect.signature(verify_trail).parameters
    if incremental:
        if not has_full:
            return []
        return [
            _operation(
                "audit verify (incremental, after the writes)",
                lambda: verify_trail(),
                1,
                lambda r: not r.breaks,
            )
        ]
    full = (lambda: verify_trail(full=True)) if has_full else verify_trail
    return [_operation("audit verify (full)", full, repeats, lambda r: not r.breaks)]


def writes(client: Any, samples: Samples, repeats: int) -> list[dict[str, Any]]:
    """A few writes through the API, as a person makes them (each one changes something)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from finres.web.assessments.models import RequirementResult, Result
    from finres.web.evidence.models import EvidenceLink
    from finres.web.improvements.models import Finding

    result_ids = list(
        RequirementResult.objects.filter(assessment=samples.assessment)
        .order_by("pk")
        .values_list("pk", flat=True)[: repeats + 1]
    )
    unlinked = list(
        RequirementResult.objects.filter(assessment=samples.assessment)
        .exclude(pk__in=EvidenceLink.objects.values("result_id"))
        .order_by("-pk")
        .values_list("pk", flat=True)[:repeats]
    )
    finding = Finding.objects.filter(organisation=samples.org).order_by("-pk").first()
    counter = iter(range(10**6))

    def save_result() -> Any:
        n = next(counter)
        value = str((Result.COMPLIANT, Result.PARTIAL)[n % 2])
        return client.patch(
            f"/api/assessment-results/{result_ids[n % len(result_ids)]}/",
            {"result": value, "comments": f"基準測試 {n}"},
            content_type="application/json",
        )

    links = iter(unlinked)

    def add_link() -> Any:
        assert samples.evidence is not None  # the demo has evidence
        return client.post(
            "/api/evidence-links/",
            {"evidence": samples.evidence.pk, "result": next(links)},
            content_type="application/json",
        )

    def edit_finding() -> Any:
        return client.patch(
            f"/api/findings/{finding.pk}/",
            {"title": f"改善事項 基準測試 {next(counter)}"},
            content_type="application/json",
        )

    def upload() -> Any:
        n = next(counter)
        content = f"%PDF-1.4\n% bench {n}\n".encode() + b"0" * 20_000
        return client.post(
            "/api/evidence/",
            {
                "title": f"上傳佐證 {n}",
                "file": SimpleUploadedFile(f"bench-{n}.pdf", content, "application/pdf"),
            },
        )

    return [
        _operation("save a result (API PATCH)", save_result, repeats, _ok),
        _operation("add an evidence link (API POST)", add_link, min(repeats, len(unlinked)), _ok),
        _operation("edit a finding (API PATCH)", edit_finding, repeats, _ok),
        _operation("upload evidence (API POST, 20 kB file)", upload, repeats, _ok),
    ]
