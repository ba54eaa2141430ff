"""The OpenAPI schema, as the API really behaves (drf-spectacular).

On top of what drf-spectacular derives from the serializers and FilterSets, every operation
documents the errors it can answer with, in the one error format of ``finres.web.api``: 400
(invalid input, unknown parameter or field), 401 (no or bad credentials), 403 (the role may not),
404 on lists (a page past the end) and on objects (not found, or another organisation's), 409
where the viewset names the action in ``conflict_actions``, 415 where a body is read; and
request bodies accept no property they do not list.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from django.http import HttpResponse
from django.utils import translation
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.views import SpectacularAPIView

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error: a `detail` message, or the problems by field or parameter name "
    "(each a list of messages; nested for nested fields).",
    "properties": {"detail": {"description": "what went wrong"}},
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input: the body names each field or parameter and its problems.",
    "401": "No credentials, or invalid ones.",
    "403": "Your role in the current organisation may not do this.",
    "404": "Not found (or another organisation's).",
    "409": "Conflicts with the object's state.",
    "415": "The body's content type is not one the operation reads.",
}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403"]
        action = getattr(self.view, "action", None)
        if "{" in self.path or self._is_list_view():
            codes.append("404")
        if action in getattr(self.view, "conflict_actions", ()):
            codes.append("409")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("415")
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        component = ResolvedComponent(  # type: ignore[no-untyped-call]
            name=ERROR_COMPONENT,
            type=ResolvedComponent.SCHEMA,
            schema=ERROR_SCHEMA,
            object=ERROR_COMPONENT,
        )
        self.registry.register_on_missing(component)
        for code in self._error_codes():
            responses.setdefault(
                code,
                {
                    "description": ERRORS[code],
                    "content": {"application/json": {"schema": component.ref}},
                },
            )
        return responses

    def _map_serializer(
        self, serializer: Any, direction: Any, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer(  # type: ignore[no-untyped-call]
            serializer, direction, bypass_extensions
        )
        if direction == "request" and schema.get("type") == "object":
            schema["additionalProperties"] = False  # see finres.web.strict.StrictFieldsMixin
        return schema


class CachedSchemaView(SpectacularAPIView):
    """The schema, generated and rendered (YAML or JSON) once per process, language and format:
    it depends on the code only (served public, so not on the caller), and generating it reads
    every view and serializer (~1 s), rendering it as YAML another half second."""

    _generated: ClassVar[dict[tuple[str, str | None], dict[str, Any]]] = {}
    _rendered: ClassVar[dict[tuple[str, str | None, str], tuple[bytes, str]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def _get_schema_response(self, request: Any) -> HttpResponse:
        version = self.api_version or request.version or self._get_version_parameter(request)  # type: ignore[no-untyped-call]
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        language = translation.get_language() or ""
        with self._lock:
            found = self._rendered.get((language, version, media_type))
            if found is None:
                schema = self._generated.get((language, version))
                if schema is None:
                    generator = self.generator_class(
                        urlconf=self.urlconf, api_version=version, patterns=self.patterns
                    )
                    schema = generator.get_schema(  # type: ignore[no-untyped-call]
                        request=request, public=self.serve_public
                    )
                    self._generated[(language, version)] = schema
                content = renderer.render(schema, media_type, self.get_renderer_context())
                charset = f"; charset={renderer.charset}" if renderer.charset else ""
                found = (content, media_type + charset)
                self._rendered[(language, version, media_type)] = found
        content, content_type = found
        response = HttpResponse(content, content_type=content_type)
        name = self._get_filename(request, version)  # type: ignore[no-untyped-call]
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response
