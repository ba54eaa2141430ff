from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from finres.core.applicability import applicability_data, applicable
from finres.core.i18n import Language
from finres.core.library import load_library
from finres.web.api import RolePermission, router
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Action
from finres.web.strict import StrictFieldsMixin, StrictViewSetMixin


class OrganisationSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "parent",
            "is_group",
            "industry",
            "paid_in_capital",
            "internet_order",
            "uses",
            "facts",
            "total_assets",
        ]
        read_only_fields = ["id", "parent", "is_group"]

    def validate_facts(self, value: Any) -> dict[str, bool]:
        """The stated facts: ``{fact: true|false}``; a fact absent or ``null`` is unknown."""
        if not isinstance(value, dict):
            raise ValidationError("expected a mapping of facts to true, false or null")
        return {key: stated for key, stated in value.items() if stated is not None}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from finres.core.profile import ProfileError, profile_from_data

        data = {**(self.instance.profile_data() if self.instance else {}), **attrs}
        data.pop("parent", None)
        try:
            profile_from_data(
                {
                    k: data[k]
                    for k in (
                        "name",
                        "industry",
                        "paid_in_capital",
                        "internet_order",
                        "uses",
                        "facts",
                        "total_assets",
                    )
                    if k in data
                }
            )
        except ProfileError as error:
            raise ValidationError(
                {f.split(".")[0] or "uses": m for f, m in error.problems}
            ) from None
        return attrs


APPLICABILITY = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="The same JSON as `finres applicable --format json` "
    "(finres.core.applicability.applicability_data).",
)


class OrganisationViewSet(StrictViewSetMixin, viewsets.GenericViewSet):
    """The caller's current organisation: its profile and what applies to it."""

    serializer_class = OrganisationSerializer
    query_parameters = {"applicable": frozenset({"as_of", "lang"})}
    permission_classes = [RolePermission]
    read_action = Action.VIEW
    write_action = Action.MANAGE

    def get_queryset(self) -> Any:
        return Organisation.objects.filter(pk=getattr(self.request.organisation, "pk", None))

    @extend_schema(responses=OrganisationSerializer)
    @action(detail=False, methods=["get", "patch"])
    def current(self, request: Request) -> Response:
        organisation = request.organisation
        if request.method == "PATCH":
            serializer = self.get_serializer(organisation, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            serializer.save()
            return Response(serializer.data)
        return Response(self.get_serializer(organisation).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", str, description="YYYY-MM-DD"),
            OpenApiParameter("lang", str, enum=["zh-TW", "en"]),
        ],
        responses=APPLICABILITY,
    )
    @action(detail=False, methods=["get"])
    def applicable(self, request: Request) -> Response:
        """Same shape as ``finres applicable --format json``."""
        try:
            as_of = dt.date.fromisoformat(
                request.query_params.get("as_of") or timezone.localdate().isoformat()
            )
        except ValueError:
            raise ValidationError({"as_of": "expected YYYY-MM-DD"}) from None
        lang = request.query_params.get("lang") or "zh-TW"
        if lang not in ("zh-TW", "en"):
            raise ValidationError({"lang": "expected zh-TW or en"})
        language: Language = "en" if lang == "en" else "zh-TW"
        result = applicable(load_library(), request.organisation.profile(), as_of)
        return Response(applicability_data(result, language))


router.register("organisation", OrganisationViewSet, basename="organisation")
