from __future__ import annotations

import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, UpdateView
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from finres.web.orgs import access
from finres.web.orgs.forms import MemberForm, OtpTokenForm, ProfileForm
from finres.web.orgs.models import Membership, Organisation
from finres.web.orgs.roles import Action


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class SecondFactorView(View):
    """Confirm a TOTP code; a user without a device first registers one (QR code)."""

    template_name = "orgs/second_factor.html"

    def _device(self, request: HttpRequest) -> tuple[TOTPDevice, bool]:
        confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
        if confirmed is not None:
            return confirmed, False
        pending = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if pending is None:
            pending = TOTPDevice.objects.create(user=request.user, name="FinRes", confirmed=False)
        return pending, True

    def _render(self, request: HttpRequest, form: OtpTokenForm) -> HttpResponse:
        device, enrolling = self._device(request)
        qr_svg = ""
        if enrolling:
            image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
            buffer = io.BytesIO()
            image.save(buffer)
            qr_svg = buffer.getvalue().decode("utf-8")
        context = {
            "form": form,
            "enrolling": enrolling,
            "qr_svg": qr_svg,
            "secret": device.config_url if enrolling else "",
        }
        return render(request, self.template_name, context)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect("orgs:login")
        return self._render(request, OtpTokenForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect("orgs:login")
        form = OtpTokenForm(request.POST)
        device, enrolling = self._device(request)
        if form.is_valid() and device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect("reports:dashboard")
        form.add_error("token", _("The code is not valid. Check the time on your device."))
        return self._render(request, form)


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


class MemberListView(access.OrganisationMixin, ListView):
    action = Action.ADMIN
    model = Membership
    template_name = "orgs/members.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("user").order_by("user__username")


class MemberAddView(access.OrganisationMixin, FormView):
    action = Action.ADMIN
    form_class = MemberForm
    template_name = "orgs/member_form.html"
    success_url = reverse_lazy("orgs:members")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "organisation": self.organisation}

    @transaction.atomic
    def form_valid(self, form: MemberForm) -> HttpResponse:
        data = form.cleaned_data
        user_model = get_user_model()
        user = user_model.objects.filter(username=data["username"]).first()
        if user is None:
            user = user_model.objects.create_user(
                username=data["username"], email=data.get("email") or "", password=data["password"]
            )
        Membership.objects.create(user=user, organisation=self.organisation, role=data["role"])
        messages.success(self.request, _("Member added."))
        return super().form_valid(form)


class ApiTokenView(access.OrganisationMixin, View):
    """Show or rotate the user's API token (only after the second factor, where required)."""

    action = Action.VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        from rest_framework.authtoken.models import Token

        token = Token.objects.filter(user=request.user).first()
        return render(request, "orgs/api_token.html", {"token": token})

    def post(self, request: HttpRequest) -> HttpResponse:
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user=request.user).delete()
        token = Token.objects.create(user=request.user)
        messages.success(request, _("A new API token was created; the old one no longer works."))
        return render(request, "orgs/api_token.html", {"token": token, "fresh": True})
