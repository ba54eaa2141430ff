"""API of background jobs (registered on finres.web.api.router).

- ``jobs/``: the jobs of the caller's current organisation that the caller's role may see
  (read-only), with state, progress and result summary;
- ``jobs/{id}/download/``: the result file, when there is one (a security event).

Jobs are started by the resource they work on, e.g. ``POST board-reports/{id}/pdf/``, which
answers 202 with the job's URL.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from finres.web.api import RolePermission, router
from finres.web.jobs import services
from finres.web.jobs.models import Job
from finres.web.jobs.views import result_response, visible_jobs
from finres.web.orgs.roles import Action
from finres.web.strict import StrictViewSetMixin


class JobSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()
    page = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "label",
            "state",
            "progress",
            "error",
            "result",
            "download",
            "page",
            "created",
            "started",
            "finished",
            "expires",
        ]
        read_only_fields = fields

    def get_label(self, job: Job) -> str:
        return job.label()

    def get_progress(self, job: Job) -> dict[str, Any]:
        return {
            "done": job.progress_done,
            "total": job.progress_total,
            "step": job.progress_step,
            "percent": job.percent,
        }

    def get_result(self, job: Job) -> dict[str, Any]:
        return job.summary()

    def get_download(self, job: Job) -> str | None:
        if not services.result_available(job):
            return None
        return reverse("job-download", args=[job.pk])

    def get_page(self, job: Job) -> str:
        return reverse("jobs:detail", args=[job.pk])


def accepted(job: Job) -> Response:
    """202 Accepted: the job's API URL (poll it) and its page."""
    url = reverse("job-detail", args=[job.pk])
    return Response(
        {**JobSerializer(job).data, "url": url},
        status=status.HTTP_202_ACCEPTED,
        headers={"Location": url},
    )


class JobViewSet(StrictViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Background jobs of the current organisation (reports, imports, exports, verification)."""

    serializer_class = JobSerializer
    permission_classes = [permissions.IsAuthenticated, RolePermission]
    read_action = Action.REPORTS  # then each kind's own role (``registry.visible``)
    write_action = Action.ADMIN  # nothing to write here
    queryset = Job.objects.none()

    def get_queryset(self) -> Any:
        organisation = getattr(self.request, "organisation", None)
        if organisation is None:
            raise PermissionDenied("no organisation")
        role = getattr(self.request, "role", None)
        return visible_jobs(organisation, role).order_by("-created", "-pk")

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: Any = None) -> Any:
        """The result file (404 while there is none, or after it expired)."""
        job = self.get_object()
        if not services.result_available(job):
            raise NotFound("this job has no result to download (yet, or any more)")
        return result_response(job)


router.register("jobs", JobViewSet, basename="job")
