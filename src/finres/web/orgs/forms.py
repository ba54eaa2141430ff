from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from finres.core.i18n import label
from finres.core.vocab import Industry, Use
from finres.web.language import current_language
from finres.web.orgs.models import Membership, Organisation
from finres.web.orgs.roles import Role


class ProfileForm(forms.ModelForm):
    """The institution profile: the same fields as the CLI's profile file."""

    uses = forms.MultipleChoiceField(
        label=_("Uses"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    class Meta:
        model = Organisation
        fields = ["name", "industry", "paid_in_capital", "internet_order", "uses"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = current_language()
        self.fields["industry"].choices = [(i.value, label(i, language)) for i in Industry]
        self.fields["uses"].choices = [(u.value, label(u, language)) for u in Use]
        self.fields["paid_in_capital"].min_value = 0


class OtpTokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Six-digit code"),
        regex=r"^\d{6}$",
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class MemberForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput,
        required=False,
        help_text=_("Needed only for a new user."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        user_model = get_user_model()
        username = data.get("username")
        exists = user_model.objects.filter(username=username).exists()
        if not exists:
            password = data.get("password")
            if not password:
                self.add_error("password", _("A new user needs an initial password."))
            else:
                try:
                    validate_password(password, user_model(username=username))
                except forms.ValidationError as error:
                    self.add_error("password", error)
        elif Membership.objects.filter(
            user__username=username, organisation=self.organisation
        ).exists():
            self.add_error("username", _("This person is already a member."))
        return data
