"""Who is acting: set per request by the middleware and per command by the CLI."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str


SYSTEM = Actor(None, "system")
_actor: ContextVar[Actor] = ContextVar("finres_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _actor.get()


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


class AuditActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with acting_as(Actor(user.pk, user.get_username())):
                return self.get_response(request)
        return self.get_response(request)
