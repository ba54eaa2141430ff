"""API plumbing shared by every app: the router, the organisation-scoped viewset base and
the error format (one JSON object with a ``detail``; never a stack trace)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import permissions, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from finres.web.orgs.roles import Action, allows
from finres.web.paging import IdsFirstPaginator
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


# --- pagination ---------------------------------------------------------------------------------


class KeysetPagination(CursorPagination):
    """Keyset (cursor) pages in the view's ``cursor_ordering`` (unique: the id by default)."""

    ordering: Any = "pk"


class ListPagination(PageNumberPagination):
    """Every API list: numbered pages (``?page=N``, with ``count``) as before, or keyset pages
    (``?cursor=``, opaque, from the ``next``/``previous`` links) whose cost does not grow with
    the depth. A client reading a whole list starts with ``?cursor=`` (empty) and follows
    ``next``; a keyset page carries no ``count`` (counting is what deep reading avoids)."""

    django_paginator_class = IdsFirstPaginator
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self.keyset: KeysetPagination | None = None
        if self.cursor_query_param in request.query_params:
            self.keyset = KeysetPagination()
            self.keyset.ordering = getattr(view, "cursor_ordering", ("pk",))
            self.keyset.page_size = self.get_page_size(request)
            return self.keyset.paginate_queryset(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        if self.keyset is not None:
            return self.keyset.get_paginated_response(data)
        return super().get_paginated_response(data)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described = super().get_paginated_response_schema(schema)
        described["required"] = ["results"]
        described["properties"]["count"]["description"] = "With page numbers only."
        return described

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Keyset pagination: empty for the first page, then the value "
                "found in the next/previous links. Pages hold no count.",
                "schema": {"type": "string"},
            },
        ]


class OrganisationViewSet(StrictViewSetMixin, viewsets.ModelViewSet):
    """Base for every API endpoint over organisation data: the queryset is always filtered by
    the caller's current organisation (``organisation_path``), and new objects are created in it.
    """

    permission_classes = [permissions.IsAuthenticated, RolePermission]
    pagination_class = ListPagination
    cursor_ordering: tuple[str, ...] = ("pk",)  # unique and indexed: keyset pages
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
