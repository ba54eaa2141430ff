from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from finres.core.i18n import label
from finres.core.vocab import Fact, Industry, Use
from finres.web.language import current_language
from finres.web.orgs.credentials import MAX_TOKEN_DAYS
from finres.web.orgs.models import ApiToken, Organisation
from finres.web.orgs.roles import Role

FACT_PREFIX = "fact_"
UNKNOWN, YES, NO = "", "yes", "no"


class ProfileForm(forms.ModelForm):
    """The institution profile: the same fields as the CLI's profile file.

    Each fact is asked as unknown / yes / no: "unknown" leaves it out of the profile (the
    requirements that depend on it are then shown as conditional), never as "no".
    """

    uses = forms.MultipleChoiceField(
        label=_("Uses"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    class Meta:
        model = Organisation
        fields = ["name", "industry", "paid_in_capital", "internet_order", "uses", "total_assets"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = current_language()
        self.fields["industry"].choices = [(i.value, label(i, language)) for i in Industry]
        self.fields["uses"].choices = [(u.value, label(u, language)) for u in Use]
        self.fields["paid_in_capital"].min_value = 0
        self.fields["total_assets"].min_value = 0
        self.fields["total_assets"].help_text = _("Leave empty if unknown.")
        stated = self.instance.facts or {}
        for fact in Fact:
            value = stated.get(fact.value)
            self.fields[FACT_PREFIX + fact.value] = forms.ChoiceField(
                label=label(fact, language),
                choices=[(UNKNOWN, _("unknown")), (YES, _("yes")), (NO, _("no"))],
                required=False,
                widget=forms.RadioSelect,
                initial=UNKNOWN if value is None else (YES if value else NO),
            )

    def fact_fields(self) -> list[forms.BoundField]:
        return [self[FACT_PREFIX + fact.value] for fact in Fact]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Set before the model's own validation (Organisation.clean reads the whole profile).
        self.instance.facts = {
            fact.value: data[FACT_PREFIX + fact.value] == YES
            for fact in Fact
            if data.get(FACT_PREFIX + fact.value) in (YES, NO)
        }
        return data


class OtpTokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Six-digit code"),
        regex=r"^\d{6}$",
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class InvitationForm(forms.Form):
    note = forms.CharField(
        label=_("For"), max_length=200, help_text=_("The person's name, to recognise the link.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class SignUpForm(forms.Form):
    """A new account through an invitation link."""

    username = forms.RegexField(
        label=_("User name"), max_length=150, regex=r"^[\w.@+-]+$", strip=True
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        user_model = get_user_model()
        username = data.get("username")
        if username and user_model.objects.filter(username__iexact=username).exists():
            self.add_error(
                "username",
                _("This user name is taken. If it is yours, log in first, then open the link."),
            )
        password = data.get("password1")
        if password and password != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif password:
            try:
                validate_password(password, user_model(username=username or ""))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class EnrolmentCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Enrolment code from your administrator"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What it is for, e.g. the SIEM export.")
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiToken.Scope.choices)
    days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=MAX_TOKEN_DAYS, initial=90
    )
