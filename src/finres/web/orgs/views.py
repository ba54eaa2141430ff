from __future__ import annotations

import io
import math
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import UpdateView
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.orgs import access
from finres.web.orgs.credentials import issue_token, redeem_enrolment_code, revoke_token
from finres.web.orgs.forms import ApiTokenForm, EnrolmentCodeForm, OtpTokenForm, ProfileForm
from finres.web.orgs.models import ApiToken, Organisation
from finres.web.orgs.roles import Action
from finres.web.throttling import LoginThrottle


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from finres.web.orgs.sso import sso_settings

        context = super().get_context_data(**kwargs)
        context["sso_name"] = (sso_settings() or {}).get("name", "")
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = LoginThrottle()
        if not throttle.allow_request(request, self):
            wait = math.ceil(throttle.wait() or 1)
            response = render(request, "registration/throttled.html", {"wait": wait}, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password through a one-time link an administrator issued (Members page)."""

    template_name = "registration/password_reset_confirm.html"
    post_reset_login = False

    def get_success_url(self) -> str:
        messages.success(self.request, _("Your password was set. Log in with it."))
        return reverse("orgs:login")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password (after the whole log-in, like every other page)."""

    template_name = "registration/password_change.html"

    def get_success_url(self) -> str:
        messages.success(self.request, _("Your password was changed."))
        return reverse("reports:dashboard")


ENROLMENT_SESSION_KEY = "finres_enrolment_allowed"


def allow_enrolment(request: HttpRequest) -> None:
    """This session may register a second factor (an administrator's code or invitation)."""
    request.session[ENROLMENT_SESSION_KEY] = request.user.pk


class SecondFactorView(View):
    """Confirm a TOTP code. A person without a device registers one (QR code), but only with a
    one-time enrolment code from an administrator or through an administrator's invitation:
    whoever first learns a privileged password must not be able to enrol silently."""

    template_name = "orgs/second_factor.html"

    def _confirmed(self, request: HttpRequest) -> TOTPDevice | None:
        return TOTPDevice.objects.filter(user=request.user, confirmed=True).first()

    def _may_enrol(self, request: HttpRequest) -> bool:
        return bool(request.session.get(ENROLMENT_SESSION_KEY) == request.user.pk)

    def _pending(self, request: HttpRequest) -> TOTPDevice:
        pending = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if pending is None:
            pending = TOTPDevice.objects.create(user=request.user, name="FinRes", confirmed=False)
        return pending

    def _render(
        self, request: HttpRequest, form: forms.Form | None = None, status: int = 200
    ) -> HttpResponse:
        device = self._confirmed(request)
        context: dict[str, Any] = {"enrolling": device is None, "needs_code": False}
        if device is None and not self._may_enrol(request):
            context["needs_code"] = True
            context["form"] = form or EnrolmentCodeForm()
        elif device is None:
            pending = self._pending(request)
            image = qrcode.make(pending.config_url, image_factory=qrcode.image.svg.SvgPathImage)
            buffer = io.BytesIO()
            image.save(buffer)
            context.update(
                qr_svg=buffer.getvalue().decode("utf-8"),
                secret=pending.config_url,
                form=form or OtpTokenForm(),
            )
        else:
            context["form"] = form or OtpTokenForm()
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect("orgs:login")
        return self._render(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect("orgs:login")
        device = self._confirmed(request)
        if device is None and not self._may_enrol(request):
            return self._redeem(request)
        if device is None:
            device = self._pending(request)
        form = OtpTokenForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        allowed, details = device.verify_is_allowed()
        if not allowed:
            return self._throttled(request, form, details)
        if device.verify_token(form.cleaned_data["token"]):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
                request.session.pop(ENROLMENT_SESSION_KEY, None)
                record_security_event(actions.SECOND_FACTOR_ENROLLED, user=request.user)
            otp_login(request, device)
            record_security_event(actions.SECOND_FACTOR_VERIFIED, user=request.user)
            return redirect("reports:dashboard")
        record_security_event(actions.SECOND_FACTOR_FAILED, user=request.user)
        device.refresh_from_db()
        wait = _seconds_until(device.verify_is_allowed()[1])
        form.add_error(
            "token",
            ngettext(
                "The code is not valid. The next try is possible in %(seconds)d second.",
                "The code is not valid. The next try is possible in %(seconds)d seconds.",
                wait,
            )
            % {"seconds": wait},
        )
        return self._render(request, form)

    def _redeem(self, request: HttpRequest) -> HttpResponse:
        form = EnrolmentCodeForm(request.POST)
        throttle = LoginThrottle()  # guessing enrolment codes costs like guessing passwords
        if not throttle.allow_request(request, self):
            form.add_error(None, _("Too many attempts. Wait a minute and try again."))
            return self._render(request, form, status=429)
        if form.is_valid() and redeem_enrolment_code(request.user, form.cleaned_data["code"]):
            allow_enrolment(request)
            return redirect("orgs:second_factor")
        if form.is_valid():
            form.add_error("code", _("This enrolment code is not valid, used or expired."))
        return self._render(request, form)

    def _throttled(
        self, request: HttpRequest, form: forms.Form, details: dict[str, Any] | None
    ) -> HttpResponse:
        wait = _seconds_until(details)
        form.add_error(
            None,
            ngettext(
                "Too many wrong codes: wait %(seconds)d second, then enter the current code.",
                "Too many wrong codes: wait %(seconds)d seconds, then enter the current code.",
                wait,
            )
            % {"seconds": wait},
        )
        return self._render(request, form, status=429)


class SelectOrganisationView(View):
    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            organisation_id = int(request.POST.get("organisation", ""))
        except ValueError:
            organisation_id = -1
        if not access.select(request, organisation_id):
            messages.error(request, _("You have no role in that organisation."))
        target = request.POST.get("next") or reverse("reports:dashboard")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("reports:dashboard")
        return HttpResponseRedirect(target)


class ProfileView(access.OrganisationMixin, UpdateView):
    """The institution profile; saving it changes which requirements apply."""

    action = Action.MANAGE
    form_class = ProfileForm
    template_name = "orgs/profile.html"

    def get_object(self, queryset: Any = None) -> Organisation:
        return self.organisation

    def get_success_url(self) -> str:
        messages.success(self.request, _("The profile was saved."))
        return reverse("assessments:onboarding")


class ApiTokenView(access.OrganisationMixin, View):
    """The person's API tokens: create (named, scoped, expiring; the key is shown once), list,
    revoke. Reached only with completed authentication, so every token carries it."""

    action = Action.VIEW

    def _render(self, request: HttpRequest, form: ApiTokenForm, **extra: Any) -> HttpResponse:
        tokens = ApiToken.objects.filter(user=request.user).order_by("-created")
        context = {"form": form, "tokens": tokens, "now": timezone.now(), **extra}
        return render(request, "orgs/api_token.html", context)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, ApiTokenForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if "revoke" in request.POST:
            token = ApiToken.objects.filter(
                user=request.user, pk=_int(request.POST.get("revoke"))
            ).first()
            if token is not None and token.revoked is None:
                revoke_token(token)
                record_security_event(actions.TOKEN_REVOKED, user=request.user, target=token)
                messages.success(request, _("The token was revoked."))
            return redirect("orgs:api_token")
        form = ApiTokenForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        data = form.cleaned_data
        token, key = issue_token(
            request.user,
            data["name"],
            data["scope"],
            data["days"],
            organisation=self.organisation,
            second_factor=bool(request.user.is_verified()),
        )
        record_security_event(
            actions.TOKEN_CREATED, user=request.user, target=token, details={"scope": token.scope}
        )
        return self._render(request, ApiTokenForm(), fresh_key=key, fresh=token)


def _seconds_until(details: dict[str, Any] | None) -> int:
    """Seconds until django-otp's throttle lets the next code be tried (at least 1)."""
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, math.ceil((locked_until - timezone.now()).total_seconds()))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
