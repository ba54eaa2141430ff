"""Declared list filters, one place for the pages and the API (django-filter, as NetBox does).

Each app declares the filters of its lists once, in its ``filters.py``, as a ``FilterSet``.
The API applies them through ``FilterBackend`` (which also puts them in the OpenAPI schema);
the pages through ``page_filters``. Every value is validated before it reaches the database:
an identifier beyond the database's integer range, a date that is not one, a choice that does
not exist or a query parameter that the list does not have is a 400 in the API (a JSON object
naming each parameter and its problem) and a message on a page, never a 500.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from finres.web.widgets import quicken

# Primary keys are BigAutoFields: a signed 64-bit integer on SQLite and PostgreSQL alike.
DB_INTEGER_MAX = 2**63 - 1
# Query parameters a list accepts besides its filters: the page number or the keyset cursor.
PAGINATION_PARAMETERS = frozenset({"page", "cursor"})
UNKNOWN_PARAMETER = _("Unknown query parameter.")

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


class FlagInput(forms.CheckboxInput):
    """A check box on a page, that hands the submitted text to ``FlagField`` to validate."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, check_test=lambda value: str(value).strip().lower() in TRUE)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class FlagField(forms.Field):
    """True (1, true, yes, on), false (0, false, no, off) or not given; anything else is an
    error rather than silently false."""

    widget = FlagInput

    def to_python(self, value: Any) -> bool | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise ValidationError(_("Expected true or false."), code="invalid")


@extend_schema_field(OpenApiTypes.BOOL)
class FlagFilter(django_filters.Filter):
    """A yes/no filter; give it a ``method`` applied when the flag is true."""

    field_class = FlagField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": DB_INTEGER_MAX})
class IdFilter(django_filters.Filter):
    """An object's id: a whole number the database can hold (a larger one is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", DB_INTEGER_MAX)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": 3650})
class DaysFilter(django_filters.Filter):
    """A number of days ahead (up to ten years)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 3650)
        super().__init__(*args, **kwargs)


class StrictForm(forms.Form):
    """The form of a filter set: a parameter that names no filter is an error of its own. Its
    select boxes are written out without a template per option (``widgets.QuickSelect``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        quicken(self)

    def _post_clean(self) -> None:
        super()._post_clean()
        for name in sorted(set(self.data) - set(self.fields) - PAGINATION_PARAMETERS):
            self._errors[name] = self.error_class(
                [ValidationError(UNKNOWN_PARAMETER, code="unknown")], renderer=self.renderer
            )


class FilterSet(django_filters.FilterSet):
    """Base of every list's filters. ``only`` keeps some of them (a page that shows one
    assessment does not offer to filter by assessment)."""

    def __init__(
        self,
        data: Any = None,
        queryset: Any = None,
        *,
        request: Any = None,
        prefix: str | None = None,
        only: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        if only is not None:
            filters: dict[str, Any] = self.filters  # type: ignore[has-type]
            self.filters = {name: f for name, f in filters.items() if name in only}

    class Meta:
        form = StrictForm

    @property
    def organisation(self) -> Any:
        return getattr(self.request, "organisation", None)

    @property
    def user(self) -> Any:
        return getattr(self.request, "user", None)


class FilterBackend(DjangoFilterBackend):
    """The API's filtering: the list's ``filterset_class``, validated (400 with the problems),
    applied to lists only (a detail route finds its object whatever the filters say)."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        if getattr(view, "action", None) != "list":
            return queryset
        return super().filter_queryset(request, queryset, view)


def page_filters(
    request: HttpRequest,
    filterset_class: type[FilterSet],
    queryset: Any,
    only: tuple[str, ...] | None = None,
) -> FilterSet:
    """A list page's filter set over ``queryset``: its ``qs`` applies the valid filters, and each
    invalid one is reported to the user as a message instead of being applied."""
    filterset = filterset_class(request.GET, queryset, request=request, only=only)
    if not filterset.is_valid():
        for name, problems in filterset.errors.items():
            field = filterset.form.fields.get(name)
            title = str(field.label) if field is not None and field.label else name
            messages.error(
                request,
                _("Filter “%(filter)s” was not applied: %(problem)s")
                % {"filter": title, "problem": " ".join(str(p) for p in problems)},
            )
    return filterset
