"""Forms of findings, milestones and exceptions.

Every choice that names organisation data (owners, findings, results) is limited to the
organisation the form works in, so a foreign id is an invalid choice, never a leak. Date rules
come from ``finres.core.plans``; the messages that word them are here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from finres.core import plans
from finres.web.assessments.models import RequirementResult
from finres.web.frameworks.models import Framework, Requirement
from finres.web.improvements.models import Finding, Milestone, RiskException, exception_max_days
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import PERMISSIONS, Action

DATE_PROBLEMS = {
    plans.DateProblem.IN_PAST: _("The date cannot be in the past."),
    plans.DateProblem.TOO_FAR: _("The date is more than five years away; check the year."),
    plans.DateProblem.AFTER_FINDING_DUE: _(
        "A milestone cannot be due after its finding (due %(due)s)."
    ),
    plans.DateProblem.BEFORE_OPEN_MILESTONES: _(
        "Open milestones are due later (up to %(due)s): move them first or pick a later date."
    ),
    plans.DateProblem.NOT_IN_FUTURE: _("An exception must expire after today."),
}


def expiry_too_far(max_days: int, today: dt.date) -> str:
    return str(
        _("An exception can be accepted for at most %(days)d days (until %(last)s).")
        % {"days": max_days, "last": today + dt.timedelta(days=max_days)}
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def editors_of(organisation: Organisation) -> QuerySet[Any]:
    """People who may own plans in ``organisation``: members with a role that may edit, held in
    the organisation itself or in one of its groups (a group role extends to subsidiaries)."""
    organisation_ids = []
    current: Organisation | None = organisation
    while current is not None and current.pk not in organisation_ids:
        organisation_ids.append(current.pk)
        current = current.parent
    editing_roles = [role for role, actions in PERMISSIONS.items() if Action.EDIT in actions]
    return (
        get_user_model()
        .objects.filter(
            memberships__organisation__in=organisation_ids,
            memberships__role__in=editing_roles,
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()


class RequirementPicker(forms.Form):
    """Pick a library requirement by framework and requirement id (the id shown in the library
    pages): a select of thousands of requirements would be unusable."""

    framework = forms.ModelChoiceField(
        label=_("Framework"),
        queryset=Framework.objects.filter(active=True).order_by("code"),
        required=False,
    )
    requirement_code = forms.CharField(
        label=_("Requirement id"),
        max_length=80,
        required=False,
        help_text=_("As shown in the library, e.g. cc-17010-antivirus or A.5.1."),
    )

    def clean_requirement(self, data: dict[str, Any]) -> Requirement | None:
        framework, code = data.get("framework"), (data.get("requirement_code") or "").strip()
        if not framework and not code:
            return None
        if not framework or not code:
            self.add_error(
                "requirement_code" if framework else "framework",
                _("Give both the framework and the requirement id, or neither."),
            )
            return None
        requirement = Requirement.objects.filter(
            framework=framework, code__iexact=code, active=True
        ).first()
        if requirement is None:
            self.add_error(
                "requirement_code",
                _("No requirement %(code)s in %(framework)s.")
                % {"code": code, "framework": framework.code},
            )
        return requirement


class FindingForm(RequirementPicker, forms.ModelForm):
    """Create or edit a finding. ``result`` (from an assessment) fixes the requirement."""

    field_order = [
        "title",
        "severity",
        "source",
        "source_reference",
        "framework",
        "requirement_code",
        "description",
        "plan",
        "owner",
        "due_date",
    ]

    class Meta:
        model = Finding
        fields = [
            "title",
            "severity",
            "source",
            "source_reference",
            "description",
            "plan",
            "owner",
            "due_date",
        ]
        widgets = {"due_date": DateInput(), "description": forms.Textarea(attrs={"rows": 4})}

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        today: dt.date,
        result: RequirementResult | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation, self.today, self.result = organisation, today, result
        self.fields["owner"] = UserChoiceField(
            label=_("Owner"), queryset=editors_of(organisation), required=False
        )
        self.fields["plan"].widget.attrs["rows"] = 6
        self.fields["plan"].help_text = _(
            "What will be done, by whom, and how success is shown (blueprint measure 2)."
        )
        if result is not None:
            # the requirement comes from the result; do not offer to change it
            del self.fields["framework"], self.fields["requirement_code"]
        elif self.instance.pk and self.instance.requirement_id:
            requirement = self.instance.requirement
            self.initial.setdefault("framework", requirement.framework_id)
            self.initial.setdefault("requirement_code", requirement.code)

    def clean_due_date(self) -> dt.date | None:
        due = self.cleaned_data.get("due_date")
        open_dues: list[dt.date] = []
        if self.instance.pk:
            open_dues = list(
                self.instance.milestones.filter(done=False).values_list("due_date", flat=True)
            )
        previous = self.instance.due_date if self.instance.pk else None
        problem = plans.finding_due_problem(
            due, self.today, previous=previous, open_milestone_dues=open_dues
        )
        if problem is not None:
            raise forms.ValidationError(
                DATE_PROBLEMS[problem], params={"due": max(open_dues) if open_dues else ""}
            )
        return due

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.result is not None:
            self.instance.result = self.result
            self.instance.requirement = self.result.requirement
        elif "framework" in self.fields:
            self.instance.requirement = self.clean_requirement(data)
        return data


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "owner", "due_date"]
        widgets = {"due_date": DateInput()}

    def __init__(
        self,
        *args: Any,
        finding: Finding,
        organisation: Organisation,
        today: dt.date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.finding, self.today = finding, today
        self.fields["owner"] = UserChoiceField(
            label=_("Owner"), queryset=editors_of(organisation), required=False
        )

    def clean_due_date(self) -> dt.date:
        due: dt.date = self.cleaned_data["due_date"]
        previous = self.instance.due_date if self.instance.pk else None
        problem = plans.milestone_due_problem(
            due, self.today, self.finding.due_date, previous=previous
        )
        if problem is not None:
            raise forms.ValidationError(
                DATE_PROBLEMS[problem], params={"due": self.finding.due_date}
            )
        return due


class FindingStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Finding.Status.choices)
    closing_note = forms.CharField(
        label=_("Closing note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to close a finding whose milestones are not all done."),
    )

    def __init__(self, *args: Any, finding: Finding, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.finding = finding
        current = plans.FindingStatus(finding.status)
        allowed = plans.FINDING_TRANSITIONS[current]
        self.fields["status"].choices = [
            (value, text) for value, text in Finding.Status.choices if value in allowed
        ]
        # Preselect the usual next step (not the first choice: "open" would send work back).
        self.fields["status"].initial = plans.NEXT_FINDING_STATUS[current].value


class ExceptionForm(RequirementPicker, forms.ModelForm):
    """Propose (or, while proposed, revise) a risk acceptance for a requirement: given
    directly, through an assessment result, or through a finding."""

    field_order = [
        "title",
        "framework",
        "requirement_code",
        "risk",
        "compensating_controls",
        "expiry_date",
    ]

    class Meta:
        model = RiskException
        fields = ["title", "risk", "compensating_controls", "expiry_date"]
        widgets = {
            "expiry_date": DateInput(),
            "risk": forms.Textarea(attrs={"rows": 4}),
            "compensating_controls": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        today: dt.date,
        result: RequirementResult | None = None,
        finding: Finding | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation, self.today = organisation, today
        self.result = result if result is not None else self.instance.result
        self.finding = finding if finding is not None else self.instance.finding
        self.max_days = exception_max_days()
        self.fields["expiry_date"].help_text = _(
            "The last day the risk is accepted: after today, at most %(days)d days ahead."
        ) % {"days": self.max_days}
        fixed = self.result is not None or (
            self.finding is not None and self.finding.requirement_id is not None
        )
        if fixed:
            del self.fields["framework"], self.fields["requirement_code"]
        elif self.instance.pk and self.instance.requirement_id:
            requirement = self.instance.requirement
            self.initial.setdefault("framework", requirement.framework_id)
            self.initial.setdefault("requirement_code", requirement.code)

    def fixed_requirement(self) -> Requirement | None:
        if self.result is not None:
            return self.result.requirement
        if self.finding is not None:
            return self.finding.requirement
        return None

    def clean_expiry_date(self) -> dt.date:
        expiry: dt.date = self.cleaned_data["expiry_date"]
        problem = plans.expiry_problem(expiry, self.today, self.max_days)
        if problem == plans.DateProblem.TOO_FAR:
            raise forms.ValidationError(expiry_too_far(self.max_days, self.today))
        if problem is not None:
            raise forms.ValidationError(DATE_PROBLEMS[problem])
        return expiry

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        requirement = self.fixed_requirement()
        if requirement is None and "framework" in self.fields:
            requirement = self.clean_requirement(data)
            if requirement is None and not self.errors:
                self.add_error(
                    "requirement_code",
                    _("Name the requirement whose risk is accepted."),
                )
        self.instance.requirement = requirement
        self.instance.result = self.result
        self.instance.finding = self.finding
        return data


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Decision note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectionForm(forms.Form):
    note = forms.CharField(
        label=_("Reason for rejection"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CloseExceptionForm(forms.Form):
    closing_note = forms.CharField(
        label=_("Closing note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. the requirement is now met, or the system was retired."),
    )
