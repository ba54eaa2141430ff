"""API plumbing shared by every app: the router, the organisation-scoped viewset base and
the error format (one JSON object with a ``detail``; never a stack trace)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import permissions, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from finres.web.orgs.roles import Action, allows
from finres.web.strict import StrictViewSetMixin

router = DefaultRouter()


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # Django turns it into a plain 500 page without details
    if isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}  # always one JSON object
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """No route: in the API a JSON error like every other (e.g. ``/api/findings/1.5/``)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


class RolePermission(permissions.BasePermission):
    """Reads need ``read_action``, writes ``write_action``, in the current organisation."""

    def has_permission(self, request: Request, view: Any) -> bool:
        organisation = getattr(request, "organisation", None)
        role = getattr(request, "role", None)
        if organisation is None or role is None:
            return False
        wanted = (
            view.read_action if request.method in permissions.SAFE_METHODS else view.write_action
        )
        return allows(role, wanted)


class OrganisationViewSet(StrictViewSetMixin, viewsets.ModelViewSet):
    """Base for every API endpoint over organisation data: the queryset is always filtered by
    the caller's current organisation (``organisation_path``), and new objects are created in it.
    """

    permission_classes = [permissions.IsAuthenticated, RolePermission]
    organisation_path = "organisation"
    read_action = Action.VIEW
    write_action = Action.EDIT

    def get_queryset(self) -> Any:
        organisation = getattr(self.request, "organisation", None)
        if organisation is None:
            raise PermissionDenied("no organisation")
        return super().get_queryset().filter(**{self.organisation_path: organisation})

    def perform_create(self, serializer: Any) -> None:
        if self.organisation_path == "organisation":
            serializer.save(organisation=self.request.organisation)
        else:
            serializer.save()
