"""Organisation isolation and role checks, enforced in the query layer.

Every view and API endpoint reaches business data through ``scoped()`` (or the mixins built on
it), which filters by the request's current organisation; the current organisation is always
one the user holds a role in (directly, or through its group).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from finres.web.orgs.models import Membership, Organisation
from finres.web.orgs.roles import SECOND_FACTOR_REQUIRED, Action, allows
from finres.web.orgs.sso import completed_by_provider
from finres.web.paging import IdsFirstPaginator

SESSION_KEY = "finres_organisation"


def roles_of(user: Any) -> dict[int, str]:
    """Organisation id -> role for every organisation the user may work in.

    A role held in a group organisation extends to its subsidiaries; a role held directly in a
    subsidiary takes precedence there.
    """
    if not getattr(user, "is_authenticated", False):
        return {}
    # read on every request: ids only, in their organisations' order, and whether each has
    # subsidiaries (most have none: no further statement for them)
    rows = (
        Membership.objects.filter(user=user)
        .annotate(grouping=Exists(Organisation.objects.filter(parent_id=OuterRef("organisation"))))
        .order_by(*(f"organisation__{field}" for field in Organisation._meta.ordering), "pk")
        .values_list("organisation_id", "role", "grouping")
    )
    direct: dict[int, str] = {}
    groups: list[tuple[int, str]] = []
    for organisation_id, role, grouping in rows:
        direct[organisation_id] = role
        if grouping:
            groups.append((organisation_id, role))
    roles: dict[int, str] = {}
    for organisation_id, role in groups:
        frontier = [organisation_id]
        while frontier:
            frontier = list(
                Organisation.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            for sub in frontier:
                roles.setdefault(sub, role)
    roles.update(direct)
    return roles


def request_roles(request: HttpRequest) -> dict[int, str]:
    """``roles_of`` for the request's user, computed once per request."""
    cached: dict[int, str] | None = getattr(request, "_finres_roles", None)
    if cached is None:
        cached = roles_of(request.user)
        request._finres_roles = cached
    return cached


def request_organisations(request: HttpRequest) -> list[Organisation]:
    """The organisations the request's user may work in, by name, read once per request: the
    current one and the switcher's choices are the same rows."""
    cached: list[Organisation] | None = getattr(request, "_finres_organisations", None)
    if cached is None:
        # no roles: an empty ``in`` that Django answers without a statement
        cached = list(Organisation.objects.filter(pk__in=request_roles(request)).order_by("name"))
        request._finres_organisations = cached
    return cached


REQUEST_MEMOS = ("_finres_roles", "_finres_organisations", "_finres_second_factor_expected")


def forget(request: HttpRequest) -> None:
    """Drop what this request remembered of its person's roles, organisations and second
    factor (after the person changed: a token's user, an accepted invitation)."""
    for memo in REQUEST_MEMOS:
        request.__dict__.pop(memo, None)


def current(request: HttpRequest) -> tuple[Organisation | None, str | None]:
    roles = request_roles(request)
    if not roles:
        return None, None
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    header = request.headers.get("X-FinRes-Organisation", "")
    if header.isdigit() and int(header) in roles:  # API callers choose per request
        chosen = int(header)
    if chosen not in roles:
        chosen = min(roles)  # a stable default: the oldest organisation
    organisation = next((o for o in request_organisations(request) if o.pk == chosen), None)
    return organisation, roles.get(chosen)


def select(request: HttpRequest, organisation_id: int) -> bool:
    if organisation_id in request_roles(request):
        request.session[SESSION_KEY] = organisation_id
        return True
    return False


def scoped(
    queryset: QuerySet[Any], organisation: Organisation, path: str = "organisation"
) -> QuerySet[Any]:
    """Only the rows that belong to ``organisation`` (``path`` leads to its foreign key)."""
    return queryset.filter(**{path: organisation})


def second_factor_expected(user: Any, roles: dict[int, str] | None = None) -> bool:
    """Whether ``user`` must confirm a second factor before doing anything at all.

    It is a property of the person, not of the organisation they happen to have chosen: a CISO
    of one organisation who is a control owner in another must not reach the second with the
    password alone, and whoever has registered a device uses it.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    from django_otp.plugins.otp_totp.models import TOTPDevice

    held = roles if roles is not None else roles_of(user)
    if any(role in SECOND_FACTOR_REQUIRED for role in held.values()):
        return True
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _expected(request: HttpRequest) -> bool:
    """``second_factor_expected`` for the request's user, computed once per request (the
    middleware and the view mixin both ask)."""
    cached: bool | None = getattr(request, "_finres_second_factor_expected", None)
    if cached is None:
        cached = second_factor_expected(request.user, request_roles(request))
        request._finres_second_factor_expected = cached
    return cached


def authentication_complete(request: HttpRequest) -> bool:
    """Password and, where expected, a verified second factor in this session."""
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return False
    if hasattr(user, "is_verified") and user.is_verified():
        return True
    if completed_by_provider(request):
        return True
    return not _expected(request)


def needs_second_factor(request: HttpRequest, role: str | None) -> bool:
    user = request.user
    if (hasattr(user, "is_verified") and user.is_verified()) or completed_by_provider(request):
        return False
    return role in SECOND_FACTOR_REQUIRED or _expected(request)


class OrganisationMixin(AccessMixin):
    """Class-based views: login, second factor, role permission and organisation scoping.

    Subclasses set ``action`` (what the view does) and, for list/detail views over a model,
    ``organisation_path`` (the lookup from the model to its organisation).
    """

    action: Action = Action.VIEW
    organisation_path = "organisation"
    # List views page by ids first (finres.web.paging): no list sorts the whole organisation.
    paginator_class = IdsFirstPaginator
    request: HttpRequest
    organisation: Organisation
    role: str

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        organisation, role = getattr(request, "organisation", None), getattr(request, "role", None)
        if organisation is None or role is None:
            raise PermissionDenied("no organisation")
        if needs_second_factor(request, role):
            return redirect("orgs:second_factor")
        if not allows(role, self.action):
            raise PermissionDenied(f"role {role} may not {self.action}")
        self.organisation, self.role = organisation, role
        return super().dispatch(request, *args, **kwargs)

    def scope(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return scoped(queryset, self.organisation, self.organisation_path)

    def get_queryset(self) -> QuerySet[Any]:
        return self.scope(super().get_queryset())

    def may(self, action: Action) -> bool:
        return allows(self.role, action)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["may"] = {a.value: allows(self.role, a) for a in Action}
        return context


def owned_by(obj: Model, organisation: Organisation, path: str = "organisation") -> bool:
    """Whether ``obj`` belongs to ``organisation`` (for objects reached other than by query)."""
    value: Any = obj
    for part in path.split("__"):
        value = getattr(value, part)
    return bool(value == organisation)
