from __future__ import annotations

from typing import Any

from rest_framework import serializers, viewsets

from finres.web.api import RolePermission, router
from finres.web.frameworks.filters import RequirementFilterSet
from finres.web.frameworks.models import Framework, Mapping, Requirement
from finres.web.orgs.roles import Action
from finres.web.strict import StrictViewSetMixin


class FrameworkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Framework
        fields = ["id", "code", "name_zh", "name_en", "version", "kind", "binding", "published"]


class RequirementSerializer(serializers.ModelSerializer):
    framework = serializers.SlugRelatedField(slug_field="code", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Requirement
        fields = [
            "id",
            "framework",
            "code",
            "parent",
            "ref",
            "kind",
            "title_zh",
            "title_en",
            "text_zh",
            "text_en",
            "assessable",
            "obligation",
            "scope",
            "tiers",
            "effective_from",
            "due_by",
        ]


class MappingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Mapping
        fields = [
            "id",
            "mapping_set",
            "source",
            "target",
            "relationship",
            "rationale_zh",
            "rationale_en",
        ]


class _LibraryViewSet(StrictViewSetMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [RolePermission]
    read_action = Action.VIEW
    write_action = Action.ADMIN


class FrameworkViewSet(_LibraryViewSet):
    queryset = Framework.objects.filter(active=True)
    serializer_class = FrameworkSerializer


class RequirementViewSet(_LibraryViewSet):
    serializer_class = RequirementSerializer
    filterset_class = RequirementFilterSet
    queryset = Requirement.objects.filter(active=True)

    def get_queryset(self) -> Any:
        queryset = super().get_queryset().select_related("framework", "parent")
        # the id last: no two rows tie, so the last pages are read from the end (web.paging)
        return queryset.order_by("framework__code", "position", "pk")


class MappingViewSet(_LibraryViewSet):
    queryset = Mapping.objects.order_by("pk")
    serializer_class = MappingSerializer


router.register("frameworks", FrameworkViewSet, basename="framework")
router.register("requirements", RequirementViewSet, basename="requirement")
router.register("mappings", MappingViewSet, basename="mapping")
