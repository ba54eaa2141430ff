from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from finres.web.frameworks.models import Framework, Mapping, Requirement
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action


class LibraryMixin(OrganisationMixin):
    """The library is shared content; any member who may view business data may browse it."""

    action = Action.VIEW

    def scope(self, queryset: Any) -> Any:
        return queryset  # not organisation data


class FrameworkListView(LibraryMixin, ListView):
    template_name = "frameworks/list.html"

    def get_queryset(self) -> Any:
        return Framework.objects.filter(active=True).annotate(
            assessable_count=Count(
                "requirements", filter=Q(requirements__assessable=True, requirements__active=True)
            )
        )


class FrameworkDetailView(LibraryMixin, DetailView):
    template_name = "frameworks/detail.html"
    slug_field = "code"
    slug_url_kwarg = "code"

    def get_queryset(self) -> Any:
        return Framework.objects.filter(active=True)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        nodes = list(
            Requirement.objects.filter(framework=self.object, active=True)
            .order_by("position")
            .only(
                "code",
                "parent_id",
                "ref",
                "title_zh",
                "title_en",
                "assessable",
                "obligation",
                "kind",
            )
        )
        depth: dict[int, int] = {}
        for node in nodes:
            depth[node.pk] = depth.get(node.parent_id, -1) + 1 if node.parent_id else 0
            node.depth = depth[node.pk]
        context["nodes"] = nodes
        return context


class RequirementDetailView(LibraryMixin, DetailView):
    template_name = "frameworks/requirement.html"

    def get_object(self, queryset: Any = None) -> Requirement:
        return get_object_or_404(
            Requirement.objects.select_related("framework", "parent"),
            framework__code=self.kwargs["code"],
            code=self.kwargs["requirement"],
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        related = Mapping.objects.select_related("source__framework", "target__framework")
        context["mappings_out"] = related.filter(source=self.object)
        context["mappings_in"] = related.filter(target=self.object)
        return context
