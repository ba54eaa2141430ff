"""Members of an organisation: roles, removal, unlocking, second-factor resets, invitations.

Adding a person goes through an invitation link: the page never says whether a user name
exists on the platform, and nobody joins an organisation without accepting.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView
from django_otp.plugins.otp_totp.models import TOTPDevice

from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.orgs import access
from finres.web.orgs.credentials import (
    accept_invitation,
    issue_enrolment_code,
    issue_invitation,
    open_invitation,
)
from finres.web.orgs.forms import InvitationForm, RoleForm, SignUpForm
from finres.web.orgs.models import Invitation, Membership
from finres.web.orgs.roles import SECOND_FACTOR_REQUIRED, Action, Role
from finres.web.orgs.views import allow_enrolment


def locked_usernames(usernames: list[str]) -> set[str]:
    """Which of ``usernames`` the log-in lockout holds now."""
    limit = settings.AXES_FAILURE_LIMIT
    cutoff = timezone.now() - timezone.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return set(
        AccessAttempt.objects.filter(
            username__in=usernames, failures_since_start__gte=limit, attempt_time__gte=cutoff
        ).values_list("username", flat=True)
    )


class MemberListView(access.OrganisationMixin, ListView):
    action = Action.ADMIN
    model = Membership
    template_name = "orgs/members.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("user").order_by("user__username")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        members = list(context["object_list"])
        users = [m.user_id for m in members]
        enrolled = set(
            TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list(
                "user_id", flat=True
            )
        )
        locked = locked_usernames([m.user.username for m in members])
        for member in members:
            member.has_second_factor = member.user_id in enrolled
            member.is_locked = member.user.username in locked
            member.role_form = RoleForm(initial={"role": member.role}, prefix=f"m{member.pk}")
        context.update(
            members=members,
            invitations=access.scoped(Invitation.objects.all(), self.organisation).filter(
                accepted__isnull=True, expires__gt=timezone.now()
            ),
            invitation_form=InvitationForm(),
            issued=self.request.session.pop("finres_issued", None),
        )
        return context


class MemberActionView(access.OrganisationMixin, View):
    """One administrator action on one member of the current organisation (POST)."""

    action = Action.ADMIN

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        member = get_object_or_404(self.scope(Membership.objects.select_related("user")), pk=pk)
        what = request.POST.get("do", "")
        handler = {
            "role": self._role,
            "remove": self._remove,
            "unlock": self._unlock,
            "reset_second_factor": self._reset_second_factor,
            "enrolment_code": self._enrolment_code,
            "password_link": self._password_link,
        }.get(what)
        if handler is None:
            messages.error(request, _("Unknown action."))
        else:
            handler(request, member)
        return redirect("orgs:members")

    def _last_administrator(self, member: Membership) -> bool:
        if member.role != Role.ADMINISTRATOR:
            return False
        others = self.scope(Membership.objects.filter(role=Role.ADMINISTRATOR)).exclude(
            pk=member.pk
        )
        return not others.exists()

    def _role(self, request: HttpRequest, member: Membership) -> None:
        form = RoleForm(request.POST, prefix=f"m{member.pk}")
        if not form.is_valid():
            messages.error(request, _("Choose one of the roles."))
            return
        role = form.cleaned_data["role"]
        if role != Role.ADMINISTRATOR and self._last_administrator(member):
            messages.error(request, _("The organisation must keep at least one administrator."))
            return
        member.role = role
        member.save(update_fields=["role"])
        messages.success(request, _("The role was changed."))

    def _remove(self, request: HttpRequest, member: Membership) -> None:
        if self._last_administrator(member):
            messages.error(request, _("The organisation must keep at least one administrator."))
            return
        member.delete()
        messages.success(request, _("The member was removed from this organisation."))

    def _unlock(self, request: HttpRequest, member: Membership) -> None:
        axes_reset(username=member.user.username)
        record_security_event(actions.ACCOUNT_UNLOCKED, target=member)
        messages.success(request, _("The account was unlocked."))

    def _reset_second_factor(self, request: HttpRequest, member: Membership) -> None:
        with transaction.atomic():
            TOTPDevice.objects.filter(user=member.user).delete()
            record_security_event(actions.SECOND_FACTOR_RESET, target=member)
        messages.success(request, _("The second factor was removed."))
        self._enrolment_code(request, member)

    def _enrolment_code(self, request: HttpRequest, member: Membership) -> None:
        code = issue_enrolment_code(
            member.user, request.user.get_username(), organisation=self.organisation
        )
        request.session["finres_issued"] = {
            "kind": "enrolment_code",
            "who": member.user.username,
            "value": code,
        }

    def _password_link(self, request: HttpRequest, member: Membership) -> None:
        """A one-time link to set a new password (Django's reset token: it stops working once
        the password changes or the person logs in, and after PASSWORD_RESET_TIMEOUT)."""
        user = member.user
        path = reverse(
            "orgs:password_reset_confirm",
            args=[
                urlsafe_base64_encode(force_bytes(user.pk)),
                default_token_generator.make_token(user),
            ],
        )
        record_security_event(actions.PASSWORD_RESET_ISSUED, target=member)
        request.session["finres_issued"] = {
            "kind": "password_link",
            "who": user.username,
            "value": request.build_absolute_uri(path),
        }


class InvitationCreateView(access.OrganisationMixin, View):
    action = Action.ADMIN

    def post(self, request: HttpRequest) -> HttpResponse:
        form = InvitationForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Name the person and choose a role."))
            return redirect("orgs:members")
        token = issue_invitation(
            self.organisation,
            form.cleaned_data["role"],
            form.cleaned_data["note"],
            request.user.get_username(),
        )
        link = request.build_absolute_uri(reverse("orgs:invitation", args=[token]))
        request.session["finres_issued"] = {
            "kind": "invitation",
            "who": form.cleaned_data["note"],
            "value": link,
        }
        return redirect("orgs:members")


class InvitationRevokeView(access.OrganisationMixin, View):
    action = Action.ADMIN

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invitation = get_object_or_404(self.scope(Invitation.objects.all()), pk=pk)
        if invitation.accepted is None:
            invitation.delete()
            messages.success(request, _("The invitation was withdrawn."))
        return redirect("orgs:members")


class InvitationView(View):
    """Accept an invitation: as the person logged in, or by creating an account."""

    template_name = "orgs/invitation.html"

    def _invitation(self, token: str) -> Invitation:
        invitation = open_invitation(token)
        if invitation is None:
            raise Http404(_("This invitation is not valid, used or expired."))
        return invitation

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = self._invitation(token)
        context = {"invitation": invitation, "form": SignUpForm()}
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = self._invitation(token)
        if request.user.is_authenticated:
            user = request.user
        else:
            form = SignUpForm(request.POST)
            if not form.is_valid():
                return render(request, self.template_name, {"invitation": invitation, "form": form})
            user = get_user_model().objects.create_user(
                username=form.cleaned_data["username"],
                email=form.cleaned_data.get("email") or "",
                password=form.cleaned_data["password1"],
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        try:
            accept_invitation(invitation, user)
        except ValueError:
            raise Http404(_("This invitation is not valid, used or expired.")) from None
        access.select(request, invitation.organisation_id)
        access.forget(request)
        has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        if not has_device and invitation.role in SECOND_FACTOR_REQUIRED:
            allow_enrolment(request)  # the administrator's invitation vouches for the person
        messages.success(request, _("You joined %(name)s.") % {"name": invitation.organisation})
        if access.authentication_complete(request):
            return redirect("reports:dashboard")
        return redirect("orgs:second_factor")
