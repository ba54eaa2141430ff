from importlib import import_module

from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularSwaggerView

from finres.web import api
from finres.web.choices import ChoiceSearchView
from finres.web.schema import CachedSchemaView

# Each app registers its API viewsets on the shared router in its ``api`` module.
for _app in (
    "orgs",
    "frameworks",
    "assessments",
    "evidence",
    "improvements",
    "reports",
    "registers",
    "continuity",
    "incidents",
    "crypto",
    "checks",
    "sbom",
    "jobs",
):
    import_module(f"finres.web.{_app}.api")

urlpatterns = [
    path("", include("finres.web.reports.urls")),
    path("accounts/", include("finres.web.orgs.urls")),
    path("library/", include("finres.web.frameworks.urls")),
    path("assessments/", include("finres.web.assessments.urls")),
    path("evidence/", include("finres.web.evidence.urls")),
    path("improvements/", include("finres.web.improvements.urls")),
    path("registers/", include("finres.web.registers.urls")),
    path("continuity/", include("finres.web.continuity.urls")),
    path("crypto/", include("finres.web.crypto.urls")),
    path("checks/", include("finres.web.checks.urls")),
    path("sbom/", include("finres.web.sbom.urls")),
    path("incidents/", include("finres.web.incidents.urls")),
    path("audit/", include("finres.web.audit.urls")),
    path("jobs/", include("finres.web.jobs.urls")),
    path("choices/<str:source>/", ChoiceSearchView.as_view(), name="choice-search"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", include(api.router.urls)),
    path("api/schema/", CachedSchemaView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "finres.web.api.not_found"  # JSON under /api/, the 404 page elsewhere
