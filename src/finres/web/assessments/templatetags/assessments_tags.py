"""Display helpers for results, proposals and mappings."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from finres.core.i18n import label
from finres.web.assessments.models import Result
from finres.web.language import current_language

register = template.Library()

_CLASSES: dict[str, str] = {
    str(Result.COMPLIANT): "ok",
    str(Result.PARTIAL): "warn",
    str(Result.NON_COMPLIANT): "bad",
}

# A mapping's relationship, read from the contributing requirement towards this one.
_RELATIONSHIPS = {
    "equal": _("equal in scope"),
    "superset": _("covers all of it (superset)"),
    "subset": _("covers part of it (subset)"),
    "intersect": _("overlaps it (intersect)"),
}


@register.filter
def result_class(value: str) -> str:
    return _CLASSES.get(value, "")


@register.filter
def result_label(value: str) -> Any:
    return Result(value).label if value in Result.values else value


@register.filter
def relationship_label(value: str) -> Any:
    return _RELATIONSHIPS.get(value, value)


@register.filter
def change_items(changes: Any) -> list[tuple[str, Any, Any]]:
    """An audit event's changes as (field, before, after), whatever their shape."""
    if not isinstance(changes, dict):
        return []
    items = []
    for name, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            items.append((name, value[0], value[1]))
        else:
            items.append((name, None, value))
    return items


@register.filter
def localized(text: Any) -> str:
    """A library text (zh-TW and English) in the current language."""
    if text is None:
        return ""
    return str(text.best(current_language()))


@register.filter
def vocabulary(value: Any) -> str:
    """A library vocabulary value (obligation, scope …) as its label in the current language."""
    if value in (None, ""):
        return ""
    return label(value, current_language())


@register.filter
def fact_labels(names: Any) -> str:
    """The facts a conditional requirement depends on, as labels in the current language."""
    language = current_language()
    separator = ", " if language == "en" else "、"
    return separator.join(label(name, language) for name in names or ())


@register.filter
def titled(titles: Any) -> str:
    """A title kept as {"zh-TW": …, "en": …} (in provenance), in the current language."""
    if not isinstance(titles, dict):
        return ""
    if current_language() == "en":
        return str(titles.get("en") or titles.get("zh-TW") or "")
    return str(titles.get("zh-TW") or titles.get("en") or "")


@register.filter
def sources(provenance: Any) -> list[str]:
    """The assessments a proposal comes from, each once, in order."""
    names: list[str] = []
    for entry in provenance or []:
        name = entry.get("assessment_name") if isinstance(entry, dict) else None
        if name and name not in names:
            names.append(name)
    return names
