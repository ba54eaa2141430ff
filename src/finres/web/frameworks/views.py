from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView

from finres.web.frameworks.models import Framework, Mapping, Requirement
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action

# What a node that groups others is called, shown before its reference ("工作項目 1").
KIND_LABELS = {
    "axis": _("Axis"),
    "work-item": _("Work item"),
    "measure": _("Measure"),
    "item": _("Item"),
    "sub-item": _("Sub-item"),
    "pillar": _("Pillar"),
    "function": _("Function"),
    "category": _("Category"),
    "theme": _("Theme"),
    "chapter": _("Chapter"),
    "section": _("Section"),
    "article": _("Article"),
    "domain": _("Domain"),
    "subdomain": _("Subdomain"),
}


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
        context["nodes"] = in_tree_order(nodes)
        return context


def in_tree_order(nodes: list[Requirement]) -> list[Requirement]:
    """The nodes as a tree reads (each followed by its children, in file order), each with
    its ``depth``: a file may list all axes first and their measures later."""
    children: dict[int | None, list[Requirement]] = {}
    known = {node.pk for node in nodes}
    for node in nodes:  # already in file order
        parent = node.parent_id if node.parent_id in known else None
        children.setdefault(parent, []).append(node)
    ordered: list[Requirement] = []
    stack = [(node, 0) for node in reversed(children.get(None, []))]
    while stack:
        node, depth = stack.pop()
        node.depth = depth
        node.groups = node.pk in children
        node.kind_label = KIND_LABELS.get(node.kind, "") if node.groups else ""
        ordered.append(node)
        stack.extend((child, depth + 1) for child in reversed(children.get(node.pk, [])))
    return ordered


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
