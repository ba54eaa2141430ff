"""Request rate limits for the API and the log-in (DRF's throttles, rates from settings).

DRF's own throttles read their rates once, when the module is imported; these read
``settings.FINRES_THROTTLE_RATES`` for each request, so an operator's environment and a test's
settings override both take effect. Client addresses come from ``REMOTE_ADDR`` unless
``NUM_PROXIES`` says how many trusted proxies put theirs in ``X-Forwarded-For``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRate(SimpleRateThrottle):
    # DRF makes a throttle per request, so the rate is read per request too.
    def get_rate(self) -> str | None:
        rate: str | None = settings.FINRES_THROTTLE_RATES.get(self.scope)
        return rate


class AnonymousThrottle(_SettingsRate):
    scope = "anonymous"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PersonThrottle(_SettingsRate):
    scope = "person"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class LoginThrottle(_SettingsRate):
    """Log-in attempts per client address (a plain Django request, not a DRF one)."""

    scope = "login"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
