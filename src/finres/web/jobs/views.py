"""Job pages: the list, one job with its progress (htmx polling) and result, the download of
a result, and the notifications with the bell's count.

A job is seen only by people of its organisation whose role may run its kind
(``registry.visible``); anything else is simply not found (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import DetailView, ListView

from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.jobs import registry, services
from finres.web.jobs.models import Job, Notification
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action

IN_MEMORY_BYTES = 16 * 1024 * 1024


def visible_jobs(organisation: Any, role: str | None) -> QuerySet[Job]:
    return registry.visible(Job.objects.filter(organisation=organisation), role)


class JobsMixin(OrganisationMixin):
    # Every role reads reports; each job is further limited to the roles of its kind.
    action = Action.REPORTS

    def jobs(self) -> QuerySet[Job]:
        return visible_jobs(self.organisation, self.role)


class JobListView(JobsMixin, ListView):
    template_name = "jobs/list.html"
    paginate_by = 25
    context_object_name = "jobs"

    def get_queryset(self) -> QuerySet[Job]:
        return self.jobs().select_related("requested_by").order_by("-created", "-pk")


class JobDetailView(JobsMixin, DetailView):
    template_name = "jobs/detail.html"
    context_object_name = "job"

    def get_queryset(self) -> QuerySet[Job]:
        return self.jobs().select_related("requested_by")

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["jobs/_status.html"]  # the polled part only
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job = self.object
        if job.is_finished and job.requested_by_id == self.request.user.pk:
            services.mark_read(self.request.user, self.organisation, job)
        context["downloadable"] = services.result_available(job)
        context["summary"] = job.summary()
        return context


def subject_of(job: Job) -> Any:
    """The object a job's result is about, for the audit trail (else the job itself)."""
    parameters = job.parameters or {}
    if "report" in parameters:
        from finres.web.reports.models import BoardReport

        found = BoardReport.objects.filter(
            pk=parameters["report"], organisation_id=job.organisation_id
        ).first()
        return found or job
    if "assessment" in parameters:
        from finres.web.assessments.models import Assessment

        found = Assessment.objects.filter(
            pk=parameters["assessment"], organisation_id=job.organisation_id
        ).first()
        return found or job
    return job


def result_response(job: Job) -> HttpResponse:
    """The job's result file as an attachment, its download written to the audit trail."""
    if not services.result_available(job):
        raise Http404("no result")
    try:
        handle = services.open_result(job)
    except (FileNotFoundError, OSError):
        raise Http404("result file missing") from None
    content_type = job.result_type or "application/octet-stream"
    response: HttpResponse
    if handle.size <= IN_MEMORY_BYTES:  # most results: sent whole (and closed at once)
        with handle:
            response = HttpResponse(handle.read(), content_type=content_type)
    else:
        response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, job.result_name)
    response["Cache-Control"] = "private, no-store"
    record_security_event(
        actions.DOWNLOAD, target=subject_of(job), details={"file": job.result_name, "job": job.pk}
    )
    return response


class JobDownloadView(JobsMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(self.jobs(), pk=pk)
        if not services.result_available(job):
            return HttpResponseRedirect(reverse("jobs:detail", args=[job.pk]))
        return result_response(job)


class NotificationListView(JobsMixin, ListView):
    template_name = "jobs/notifications.html"
    paginate_by = 25
    context_object_name = "notifications"

    def get_queryset(self) -> QuerySet[Notification]:
        # A notification stays visible while its job is (a role may have changed since).
        return (
            Notification.objects.filter(person=self.request.user, organisation=self.organisation)
            .filter(job__in=self.jobs())
            .select_related("job")
            .order_by("-created", "-pk")
        )


class NotificationsReadView(JobsMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        services.mark_read(request.user, self.organisation)
        return HttpResponseRedirect(reverse("jobs:notifications"))


class BellView(JobsMixin, View):
    """The header's bell: how many notifications are unread (loaded and refreshed by htmx)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        unread = Notification.objects.filter(
            person=request.user, organisation=self.organisation, read=False
        ).count()
        return render(request, "jobs/_bell.html", {"unread": unread})
