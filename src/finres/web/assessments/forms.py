from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finres.core.i18n import Language
from finres.web.assessments.models import (
    Assessment,
    RequirementResult,
    Result,
    maturity_scale,
)
from finres.web.assessments.people import eligible_owners
from finres.web.frameworks.models import Framework
from finres.web.language import current_language
from finres.web.orgs.models import Organisation


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def maturity_choices(framework: Framework) -> list[tuple[Any, str]]:
    scale = maturity_scale(framework)
    language: Language = current_language()
    return [("", "—"), *[(value, scale.label(value, language)) for value in scale.values]]


class ResultForm(forms.ModelForm):
    """One requirement's result; the model's ``clean`` holds the rules (shared with the API)."""

    class Meta:
        model = RequirementResult
        fields = [
            "result",
            "not_applicable_reason",
            "maturity_level",
            "owner",
            "due_date",
            "comments",
        ]
        widgets = {
            "due_date": DateInput(),
            "not_applicable_reason": forms.Textarea(attrs={"rows": 2}),
            "comments": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = eligible_owners(organisation)
        self.fields["maturity_level"] = forms.TypedChoiceField(
            label=_("maturity level"),
            choices=maturity_choices(self.instance.assessment.framework),
            coerce=int,
            empty_value=None,
            required=False,
        )
        self.fields["not_applicable_reason"].help_text = _(
            "Required when the result is “not applicable”."
        )


class OverrideForm(forms.ModelForm):
    """A person's own result in place of a proposal."""

    class Meta:
        model = RequirementResult
        fields = ["result", "not_applicable_reason"]
        widgets = {"not_applicable_reason": forms.TextInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["result"].choices = [
            (value, label) for value, label in Result.choices if value != Result.NOT_ASSESSED
        ]


class _ConstraintsInClean(forms.ModelForm):
    """Assessment forms check the period and uniqueness in ``clean`` with messages on the
    fields; the model's own constraint checks (kept by the database) would only repeat them."""

    instance: Any

    def _post_clean(self) -> None:
        try:
            self.instance = construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
        except ValidationError as error:
            self._update_errors(error)
        try:
            self.instance.full_clean(
                exclude=self._get_validation_exclusions(),
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            self._update_errors(error)


class AssessmentCreateForm(_ConstraintsInClean):
    as_of = forms.DateField(
        label=_("applicable as of"),
        widget=DateInput(),
        help_text=_("Results are created for the requirements that apply on this date."),
    )

    class Meta:
        model = Assessment
        fields = ["framework", "name", "period_start", "period_end"]
        widgets = {"period_start": DateInput(), "period_end": DateInput()}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["framework"].queryset = Framework.objects.filter(active=True).order_by("code")
        self.fields["framework"].label = _("Framework")  # the model field has no verbose name
        self.fields["framework"].label_from_instance = lambda fw: f"{fw.name()} ({fw.code})"
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Left empty: the framework's name and the year.")
        today = timezone.localdate()
        self.initial.setdefault("as_of", today)
        self.initial.setdefault("period_start", dt.date(today.year, 1, 1))
        self.initial.setdefault("period_end", dt.date(today.year, 12, 31))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_period(self, data)
        framework, start = data.get("framework"), data.get("period_start")
        if (
            framework is not None
            and start is not None
            and Assessment.objects.filter(
                organisation=self.organisation, framework=framework, period_start=start
            ).exists()
        ):
            self.add_error(
                "period_start",
                _("An assessment of this framework starting on this date already exists."),
            )
        return data


class AssessmentEditForm(_ConstraintsInClean):
    class Meta:
        model = Assessment
        fields = ["name", "period_start", "period_end", "status"]
        widgets = {"period_start": DateInput(), "period_end": DateInput()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_period(self, data)
        start = data.get("period_start")
        if (
            start is not None
            and Assessment.objects.filter(
                organisation_id=self.instance.organisation_id,
                framework_id=self.instance.framework_id,
                period_start=start,
            )
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error(
                "period_start",
                _("An assessment of this framework starting on this date already exists."),
            )
        return data


def _check_period(form: forms.Form, data: dict[str, Any]) -> None:
    start, end = data.get("period_start"), data.get("period_end")
    if start is not None and end is not None and end < start:
        form.add_error("period_end", _("The period must end on or after its start."))


class OnboardingCreateForm(forms.Form):
    frameworks = forms.MultipleChoiceField(
        label=_("Frameworks"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    period_start = forms.DateField(label=_("period start"), widget=DateInput())
    period_end = forms.DateField(label=_("period end"), widget=DateInput())
    as_of = forms.DateField(widget=forms.HiddenInput())

    def __init__(self, *args: Any, choices: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["frameworks"].choices = list(choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_period(self, data)
        return data


class SoAForm(forms.ModelForm):
    soa_applicable = forms.TypedChoiceField(
        label=_("applicable (SoA)"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    class Meta:
        model = RequirementResult
        fields = ["soa_applicable", "soa_justification"]
        widgets = {"soa_justification": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["soa_applicable"] = "yes" if self.instance.applicable_in_soa else "no"
        if not self.instance.soa_justification and self.instance.not_applicable_reason:
            self.initial["soa_justification"] = self.instance.not_applicable_reason

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["soa_justification"] = (data.get("soa_justification") or "").strip()
        if data.get("soa_applicable") is False and not data["soa_justification"]:
            self.add_error(
                "soa_justification", _("Justify why a control is excluded from the SoA.")
            )
        return data

    def save(self, commit: bool = True) -> RequirementResult:
        row: RequirementResult = super().save(commit=False)
        # The SoA and the result say the same thing about applicability: keep them together.
        if row.soa_applicable is False:
            row.result = Result.NOT_APPLICABLE
            row.not_applicable_reason = row.soa_justification
        elif row.result == Result.NOT_APPLICABLE:
            row.result = Result.NOT_ASSESSED
            row.not_applicable_reason = ""
        if commit:
            row.save()
        return row
