"""Select boxes that stay fast with a large institution's registers.

Django renders each ``<option>`` through its own template: a form offering 10,000 information
systems took over a second per select box. ``FastSelect`` and ``FastSelectMultiple`` write the
same HTML directly (every option escaped, the same attributes), so choosing stays a plain
select that works without JavaScript; ``FastChoicesMixin`` gives them to a form's model choice
fields. For models labelled by code and name (``LABEL_FIELDS``), the options are read as those
two columns instead of 10,000 model instances of every column each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

# A model whose options (and ``str``) are its code and name declares ``choice_label_fields``.
LABEL_FIELDS = ("code", "name")


def code_and_name(code: str, name: str) -> str:
    """How a register entry is named in lists and options: its code, then its name."""
    return f"{code} {name}".strip()


def _light(choices: Any) -> Any:
    """The choices of a model choice field as (pk, label) read in two columns, when the model is
    labelled by code and name and the field keeps the default label (its ``str``)."""
    if not isinstance(choices, ModelChoiceIterator):
        return choices
    field = choices.field
    model = choices.queryset.model
    default_label = getattr(field.label_from_instance, "__func__", None) is (
        forms.ModelChoiceField.label_from_instance
    )
    if getattr(model, "choice_label_fields", None) != LABEL_FIELDS or not default_label:
        return choices
    # the value an option carries: the field's own (a foreign key's form field names "id")
    rows = choices.queryset.values_list(field.to_field_name or "pk", *LABEL_FIELDS)
    light = [("", field.empty_label)] if field.empty_label is not None else []
    return light + [(pk, code_and_name(code, name)) for pk, code, name in rows]


def _options(choices: Iterable[Any], selected: set[str]) -> Iterable[str]:
    for value, label in choices:
        if isinstance(label, list | tuple):  # an option group
            yield format_html('<optgroup label="{}">', value)
            yield from _options(label, selected)
            yield "</optgroup>"
            continue
        text = "" if value is None else str(value)
        chosen = " selected" if text in selected else ""
        yield (
            f'<option value="{conditional_escape(text)}"{chosen}>'
            f"{conditional_escape(label)}</option>"
        )


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
        body = "".join(_options(_light(self.choices), selected))
        return mark_safe(
            f'<select name="{conditional_escape(name)}"{flatatt(final)}>{body}</select>'
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
