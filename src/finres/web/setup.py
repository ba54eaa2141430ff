"""Setting up a FinRes site: Django bootstrap, database, library, demo data, serving.

Called by the ``finres`` command; every function here can also be used from tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def bootstrap(settings_module: str = "finres.web.settings.dev") -> None:
    """Configure Django once (the CLI imports it only for the commands that need it).

    Checks ``FINRES_LIBRARY_PATH`` first (``LibraryPathError`` names a bad folder), so that
    ``finres setup``, ``finres serve`` and the web application read the library the CLI reads.
    """
    from finres.core.library import library_path

    library_path()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def sync_library() -> Any:
    from finres.core.library import load_library
    from finres.web.audit.context import Actor, acting_as
    from finres.web.frameworks.sync import sync_library as sync

    with acting_as(Actor(None, "finres library sync")):
        return sync(load_library())


def collect_static(force: bool = False) -> bool:
    """Collect and compress static files once; skipped while the sources are unchanged."""
    from finres.web.serving import collect_static as collect

    return collect(force=force)


def static_is_current() -> bool:
    from finres.web.serving import static_is_current as current

    return current()


def create_admin(username: str, password: str, email: str, organisation: str | None) -> str:
    """Create (or update the password of) an administrator; returns what was done."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.db import transaction

    from finres.web.audit.context import Actor, acting_as
    from finres.web.orgs.models import Membership, Organisation
    from finres.web.orgs.roles import Role

    user_model = get_user_model()
    validate_password(password, user_model(username=username, email=email))
    with acting_as(Actor(None, "finres createadmin")), transaction.atomic():
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"email": email}
        )
        user.set_password(password)
        user.save()
        if organisation:
            org = Organisation.objects.filter(name=organisation).first()
            if org is None:
                raise ValueError(f"no organisation named {organisation!r}")
            Membership.objects.update_or_create(
                user=user, organisation=org, defaults={"role": Role.ADMINISTRATOR}
            )
    return "created" if created else "updated"


def issue_enrolment_code(username: str) -> str:
    """A one-time second-factor enrolment code for a person who has no device yet ("" if they
    have one: resetting it is an administrator's act on the Members page)."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from finres.web.audit.context import Actor, acting_as
    from finres.web.orgs.credentials import issue_enrolment_code as issue

    user = get_user_model().objects.get(username=username)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return ""
    with acting_as(Actor(None, "finres createadmin")):
        return issue(user, "finres createadmin")


def add_organisation(profile: Any, parent: str | None, is_group: bool) -> tuple[Any, bool]:
    """Create the organisation a profile describes, or update the one with its name."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from finres.web.audit.context import Actor, acting_as
    from finres.web.orgs.models import Organisation

    with acting_as(Actor(None, "finres organisation add")), transaction.atomic():
        group = None
        if parent:
            group = Organisation.objects.filter(name=parent).first()
            if group is None:
                raise ValueError(f"no organisation named {parent!r}")
        values = {
            "industry": profile.industry.value,
            "paid_in_capital": profile.paid_in_capital,
            "internet_order": profile.internet_order,
            "uses": sorted(u.value for u in profile.uses),
            "facts": {fact.value: stated for fact, stated in sorted(profile.facts.items())},
            "total_assets": profile.total_assets,
            "parent": group,
            "is_group": is_group,
        }
        organisation = Organisation.objects.filter(name=profile.name).first()
        created = organisation is None
        if organisation is None:
            organisation = Organisation(name=profile.name)
        for name, value in values.items():
            setattr(organisation, name, value)
        try:
            # Before saving: a value the database cannot hold (a capital beyond its integers)
            # is the profile's problem, told as such, not a database error.
            organisation.full_clean()
        except ValidationError as error:
            raise ValueError(_field_errors(organisation, error)) from None
        organisation.save()
        return organisation, created


def _field_errors(instance: Any, error: Any) -> str:
    """A model's validation errors as one line: "field label: message; …"."""
    from django.core.exceptions import FieldDoesNotExist

    parts: list[str] = []
    for name, messages in error.message_dict.items():
        try:
            label = str(instance._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            label = name
        parts.extend(f"{label}: {message}" for message in messages)
    return "; ".join(parts)


@dataclass
class DemoContext:
    """What the demo loaders share: organisations and users by key, and login notes."""

    organisations: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # user, pw, role, org


DemoLoader = Callable[[DemoContext], None]


def demo_loaders() -> list[DemoLoader]:
    """The demo is assembled by each app's ``demo.load`` in dependency order."""
    from importlib import import_module

    loaders = []
    apps = (
        "orgs",
        "assessments",
        "evidence",
        "improvements",
        "registers",
        "continuity",
        "crypto",
        "checks",
        "sbom",
        "reports",
        "jobs",
    )
    for app in apps:
        try:
            module = import_module(f"finres.web.{app}.demo")
        except ModuleNotFoundError:
            continue
        loaders.append(module.load)
    return loaders


def load_demo() -> DemoContext:
    from django.db import transaction

    from finres.web.audit.context import Actor, acting_as

    context = DemoContext()
    with acting_as(Actor(None, "finres demo")), transaction.atomic():
        for loader in demo_loaders():
            loader(context)
    return context
