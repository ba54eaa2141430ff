"""Select boxes that stay fast with a large institution's registers.

Django renders each ``<option>`` through its own template: a form offering 10,000 information
systems took over a second per select box. ``FastSelect`` and ``FastSelectMultiple`` write the
same HTML directly (every option escaped, the same attributes), so choosing stays a plain
select that works without JavaScript; ``FastChoicesMixin`` gives them to a form's model choice
fields. For a model that names its label's columns (``choice_label_fields``, e.g. code and name),
the options are read as those columns instead of 10,000 model instances of every column each.

An organisation's register larger than ``OFFERED`` entries is not written whole into every form
(the page would grow with the register): the select offers its first entries and the chosen
ones, and a search box beside it asks ``ChoiceSearchView`` for the others as one types.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Model, Q
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views import View

from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action

# Entries a select box offers before it asks to search (and the most one search answers).
OFFERED = 100


def label_of(*values: Any) -> str:
    """How an entry is named in lists and options: its label's columns (a model's
    ``choice_label_fields``, e.g. code then name), space-separated; its ``str`` too."""
    return " ".join(str(value) for value in values).strip()


def searchable(model: type[Model]) -> bool:
    """Entries an organisation may have thousands of, searched by their label's columns."""
    return bool(getattr(model, "choice_label_fields", None)) and any(
        field.name == "organisation" for field in model._meta.concrete_fields
    )


def _light(choices: Any, selected: set[str]) -> tuple[Any, str | None]:
    """The choices of a model choice field as (value, label) read from the label's columns,
    when the model names them and the field keeps the default label (the entry's ``str``);
    with the address that searches the rest when a register offers only its first entries."""
    if not isinstance(choices, ModelChoiceIterator):
        return choices, None
    field = choices.field
    model = choices.queryset.model
    columns = getattr(model, "choice_label_fields", None)
    default_label = getattr(field.label_from_instance, "__func__", None) is (
        forms.ModelChoiceField.label_from_instance
    )
    if not columns or not default_label:
        return choices, None
    # the value an option carries: the field's own (a foreign key's form field names "id")
    key = field.to_field_name or "pk"
    rows = choices.queryset.values_list(key, *columns)
    light = [("", field.empty_label)] if field.empty_label is not None else []
    if not searchable(model) or key not in ("pk", model._meta.pk.name):
        return light + [(row[0], label_of(*row[1:])) for row in rows], None
    first = list(rows[: OFFERED + 1])
    if len(first) <= OFFERED:
        return light + [(row[0], label_of(*row[1:])) for row in first], None
    first = first[:OFFERED]
    shown = {str(row[0]) for row in first}
    missing = [value for value in selected if value and value not in shown]
    try:  # the chosen entries stay offered wherever they sort
        chosen = list(rows.filter(pk__in=missing)) if missing else []
    except (ValueError, ValidationError):  # a submitted value that names no entry
        chosen = []
    offered = [(row[0], label_of(*row[1:])) for row in chosen + first]
    return light + offered, reverse("choice-search", args=[model._meta.label_lower])


def _options(choices: Iterable[Any], selected: set[str]) -> Iterable[str]:
    for value, label in choices:
        if isinstance(label, list | tuple):  # an option group
            yield format_html('<optgroup label="{}">', value)
            yield from _options(label, selected)
            yield "</optgroup>"
            continue
        text = "" if value is None else str(value)
        chosen = " selected" if text in selected else ""
        yield f'<option value="{_escaped(text)}"{chosen}>{_escaped(label)}</option>'


def _escaped(text: Any) -> str:
    """``conditional_escape`` without its lazy-string wrapper (10,000 options: a third of the
    time): markup already safe is kept, anything else is escaped as Django escapes it."""
    if hasattr(text, "__html__"):
        return str(text.__html__())
    return html.escape(str(text), quote=True)


class FastSelect(forms.Select):
    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final["multiple"] = True
        selected = {str(v) for v in self.format_value(value)}
        if not self.allow_multiple_selected and len(selected) > 1:
            selected = set(list(selected)[:1])
        choices, search_url = _light(self.choices, selected)
        search = ""
        if search_url and final.get("id"):
            final["data-choices-url"] = search_url
            search = format_html(
                '<input type="search" class="choice-search" data-choices-for="{}" '
                'placeholder="{}" aria-label="{}">',
                final["id"],
                _("Type a code or name to find more entries"),
                _("Find an entry"),
            )
        body = "".join(_options(choices, selected))
        return mark_safe(
            f'{search}<select name="{conditional_escape(name)}"{flatatt(final)}>{body}</select>'
        )


class FastSelectMultiple(FastSelect, forms.SelectMultiple):
    allow_multiple_selected = True


class FastChoicesMixin:
    """Model choice fields of the form rendered by the fast widgets (same attributes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, forms.Field] = self.fields  # type: ignore[attr-defined]
        for field in fields.values():
            widget = field.widget
            if isinstance(field, forms.ModelMultipleChoiceField):
                if type(widget) is forms.SelectMultiple:
                    field.widget = _copy(widget, FastSelectMultiple)
            elif isinstance(field, forms.ModelChoiceField) and type(widget) is forms.Select:
                field.widget = _copy(widget, FastSelect)


def _copy(widget: forms.Select, kind: type[FastSelect]) -> FastSelect:
    fast = kind(attrs=widget.attrs)
    fast.choices = widget.choices
    fast.is_required = widget.is_required
    return fast


class ChoiceSearchView(OrganisationMixin, View):
    """Entries of the organisation's register with each word of ``q`` in one of their label's
    columns (the first ``OFFERED`` in the register's order), as JSON for the search box beside
    a select (``finres.js``). The form that receives the choice still validates it against the
    entries it allows."""

    action = Action.VIEW

    def get(self, request: HttpRequest, source: str) -> JsonResponse:
        try:
            model = apps.get_model(source)
        except (LookupError, ValueError) as error:
            raise Http404("no such register") from error
        if not searchable(model):
            raise Http404("no such register")
        columns = model.choice_label_fields
        rows = self.scope(model.objects.all())
        for word in request.GET.get("q", "")[:100].split()[:5]:  # each word in some column
            matches = Q()
            for column in columns:
                matches |= Q(**{f"{column}__icontains": word})
            rows = rows.filter(matches)
        # in the register's own order (a code, over its index): the first entries, not a sort
        order = model._meta.ordering or columns
        found = list(rows.order_by(*order).values_list("pk", *columns)[: OFFERED + 1])
        return JsonResponse(
            {
                "results": [
                    {"value": str(row[0]), "label": label_of(*row[1:])} for row in found[:OFFERED]
                ],
                "more": len(found) > OFFERED,
            }
        )
