"""A select box written out in Python.

Django renders each option of a select box through two templates (the option and its
attributes), about 50 µs an option: a list's owner filter offers every person who may own a
result, and the filters were a sixth of an assessment's page. ``QuickSelect`` gives the same
markup (a test compares it with Django's for any choices, groups and attributes) without the
templates; the filter forms use it (``finres.web.filtering.StrictForm``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def _attributes(attrs: dict[str, Any]) -> SafeString:
    """What Django's ``attrs.html`` writes: `` name`` for True, nothing for False."""
    return mark_safe(  # each part escaped by format_html
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
            for name, value in attrs.items()
            if value is not False
        )
    )


class QuickSelect(forms.Select):
    """``forms.Select`` without rendering a template per option."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        out = [format_html('<select name="{}"{}>', widget["name"], _attributes(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                out.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                out.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',
                        str(option["value"]),
                        _attributes(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
                out.append("\n  </optgroup>")
        out.append("\n</select>")
        return mark_safe("".join(out))  # every part escaped by format_html


def quicken(form: forms.BaseForm) -> None:
    """Give ``form``'s plain select boxes the quick rendering (same markup)."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            quick = QuickSelect(attrs=field.widget.attrs, choices=field.widget.choices)
            quick.is_required = field.widget.is_required
            field.widget = quick
