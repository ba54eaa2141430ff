"""Who is acting: the request's user (resolved when an event is written) or a named command.

The middleware keeps the request in a context variable instead of reading ``request.user``
once: an API request authenticated by a token is anonymous when the middleware runs, and DRF
sets ``request.user`` on the underlying request only when the view authenticates it. Reading
the user when the event is appended therefore records the token's user, not ``system``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str


SYSTEM = Actor(None, "system")
_actor: ContextVar[Actor | None] = ContextVar("finres_actor", default=None)
_request: ContextVar[HttpRequest | None] = ContextVar("finres_request", default=None)


def current_request() -> HttpRequest | None:
    return _request.get()


def request_user(request: HttpRequest | None) -> Any | None:
    """The authenticated user of ``request`` (as far as it is known now), or None."""
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def current_actor() -> Actor:
    """A command's declared actor (``acting_as``), else the request's user, else ``system``."""
    declared = _actor.get()
    if declared is not None:
        return declared
    user = request_user(_request.get())
    if user is not None:
        return Actor(user.pk, user.get_username())
    return SYSTEM


def current_organisation_id() -> int | None:
    """The organisation the current request works in, if any."""
    organisation = getattr(_request.get(), "organisation", None)
    return getattr(organisation, "pk", None)


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


@contextlib.contextmanager
def serving(request: HttpRequest) -> Iterator[None]:
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


class AuditActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with serving(request):
            return self.get_response(request)
