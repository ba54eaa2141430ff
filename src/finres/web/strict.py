"""What the API accepts, exactly: query parameters and body fields it does not know are
refused (400, naming them) instead of being silently ignored.

- ``StrictFieldsMixin`` goes first in the bases of every serializer that reads a request body;
- ``StrictViewSetMixin`` goes first in the bases of every viewset: a list accepts its
  ``filterset_class``'s filters and ``page`` (checked by ``filtering.FilterBackend``), an
  action named in ``query_parameters`` the parameters named there (the others read none, and
  are not checked: an object's route answers 404 for another organisation's object whatever
  its query string says). It also gives the viewset
  the project's filter backend and OpenAPI schema class (``finres.web.schema``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from finres.web.filtering import PAGINATION_PARAMETERS, UNKNOWN_PARAMETER, FilterBackend
from finres.web.schema import AutoSchema

UNKNOWN_FIELD = _("Unknown field.")


class StrictFieldsMixin:
    # A body field the serializer does not have is an error (read-only fields it has are
    # accepted and ignored, so that what was read can be sent back). No docstring: the OpenAPI
    # schema would take it for the description of every serializer without one.

    fields: Any
    # Fields of the resource that this (input) serializer does not have but that are accepted
    # and ignored like read-only ones, e.g. an output serializer's fields.
    ignored_fields: ClassVar[tuple[str, ...]] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields) - set(self.ignored_fields))
            if unknown:
                raise ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


class SlugField(serializers.SlugRelatedField):
    """A reference by code or name: text that no row can have (a NUL character, which
    PostgreSQL refuses in a query) is "invalid", as any other malformed value, not a 500."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictViewSetMixin:
    # Unknown query parameters are a 400; lists are filtered by their declared FilterSet.
    # (No docstring, as above: it would describe every operation of a viewset without one.)

    filter_backends: ClassVar[list[Any]] = [FilterBackend]
    schema = AutoSchema()
    # action -> the query parameters it accepts (lists: their FilterSet's filters and ``page``)
    query_parameters: ClassVar[Mapping[str, frozenset[str]]] = {}

    action: str | None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if self.action == "list":
            if getattr(self, "filterset_class", None) is not None:
                return  # the FilterSet refuses what it does not know (filtering.StrictForm)
            allowed = set(PAGINATION_PARAMETERS)
        elif self.action is not None and self.action in self.query_parameters:
            allowed = set(self.query_parameters[self.action])
        else:
            return  # an action on one object reads no query parameter
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ValidationError({name: [UNKNOWN_PARAMETER] for name in unknown})
