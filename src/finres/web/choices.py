"""Select boxes that stay fast with a large institution's registers.

Django renders each ``<option>`` through its own template: a form offering 10,000 information
systems took over a second per select box. ``FastSelect`` and ``FastSelectMultiple`` write the
same HTML directly (every option escaped, the same attributes), so choosing stays a plain
select that works without JavaScript; ``FastChoicesMixin`` gives them to a form's model choice
fields. For a model that names its label's columns (``choice_label_fields``, e.g. code and name),
the options are read as those columns instead of 10,000 model instances of every column each.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def label_of(*values: Any) -> str:
    """How an entry is named in lists and options: its label's columns (a model's
    ``choice_label_fields``, e.g. code then name), space-separated; its ``str`` too."""
    return " ".join(str(value) for value in values).strip()


def _light(choices: Any) -> Any:
    """The choices of a model choice field as (value, label) read from the label's columns,
    when the model names them and the field keeps the default label (the entry's ``str``)."""
    if not isinstance(choices, ModelChoiceIterator):
        return choices
    field = choices.field
    columns = getattr(choices.queryset.model, "choice_label_fields", None)
    default_label = getattr(field.label_from_instance, "__func__", None) is (
        forms.ModelChoiceField.label_from_instance
    )
    if not columns or not default_label:
        return choices
    # the value an option carries: the field's own (a foreign key's form field names "id")
    rows = choices.queryset.values_list(field.to_field_name or "pk", *columns)
    light = [("", field.empty_label)] if field.empty_label is not None else []
    return light + [(row[0], label_of(*row[1:])) for row in rows]


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
