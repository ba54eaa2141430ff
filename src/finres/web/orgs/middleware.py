from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

from finres.web.orgs import access

# Scripts and styles come only from FinRes itself; no inline scripts (HTMX is a static file).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


class CurrentOrganisationMiddleware:
    """Puts the organisation the user works in (and their role there) on the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        organisation, role = access.current(request)
        request.organisation = organisation
        request.role = role
        return self.get_response(request)


# Views a person may reach between the password and the second factor.
HALF_AUTHENTICATED_VIEWS = frozenset(
    {
        "orgs:login",
        "orgs:logout",
        "orgs:second_factor",
        "orgs:invitation",
        "orgs:password_reset_confirm",
        "orgs:sso_start",
        "orgs:sso_callback",
        "set_language",
    }
)


class CompletedAuthenticationMiddleware:
    """Every way in with a session (pages, API, schema, downloads, exports) demands the same
    completed authentication: a session that has passed the password but not the second factor
    reaches only the log-in, second-factor and language views. Token requests are checked by
    the token authentication itself (``finres.web.authentication``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or access.authentication_complete(request):
            return self.get_response(request)
        try:
            view_name = resolve(request.path_info).view_name
        except Resolver404:
            view_name = ""
        if view_name in HALF_AUTHENTICATED_VIEWS:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": _("Confirm your second factor before using the API."),
                    "code": "second_factor_required",
                },
                status=403,
            )
        response = redirect("orgs:second_factor")
        if request.headers.get("HX-Request"):
            response["HX-Redirect"] = response["Location"]
        return response


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/docs"):  # Swagger UI needs its own inline setup
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class LanguageMiddleware:
    """zh-TW unless the person chose English (the language switch sets a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; FinRes is a zh-TW
    application first, so the browser's preference does not override the default.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
