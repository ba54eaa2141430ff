from __future__ import annotations

from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from finres.web.orgs.models import Organisation
from finres.web.reports.models import BoardReport, Declaration, Signatory

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrganisationYearMixin:
    """One document per organisation and year: say so on the year field, not with a 500."""

    organisation: Organisation
    instance: Any
    cleaned_data: dict[str, Any]
    _meta: Any

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        model = self._meta.model
        clash = model.objects.filter(organisation=self.organisation, year=year)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                gettext("There is already a %(document)s for %(year)s.")
                % {"document": model._meta.verbose_name, "year": year}
            )
        return year


class BoardReportForm(OrganisationYearMixin, forms.ModelForm):
    class Meta:
        model = BoardReport
        fields = [
            "year",
            "summary",
            "programme_execution",
            "major_incidents",
            "risk_assessment",
            "budget_resources",
            "budget_planned",
            "budget_spent",
            "it_budget",
            "security_staff",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 6, "style": "width:100%"})
            for name in (
                "summary",
                "programme_execution",
                "major_incidents",
                "risk_assessment",
                "budget_resources",
            )
        }
        help_texts = {
            "programme_execution": _(
                "What the security programme set out to do this year, what was done, and what "
                "changed in it."
            ),
            "major_incidents": _(
                "Major security incidents of the year and the improvements made after them."
            ),
            "risk_assessment": _(
                "The current risk assessment and how effective the controls proved to be."
            ),
            "budget_resources": _("How the security budget was used and resources allocated."),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation


class DeclarationForm(OrganisationYearMixin, forms.ModelForm):
    class Meta:
        model = Declaration
        fields = ["year", "declared_on", "statement"]
        widgets = {
            "declared_on": DATE_INPUT,
            "statement": forms.Textarea(attrs={"rows": 14, "style": "width:100%"}),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation


class SignatoryForm(forms.ModelForm):
    class Meta:
        model = Signatory
        fields = ["position", "title", "name", "signed_on"]
        widgets = {
            "signed_on": DATE_INPUT,
            "position": forms.NumberInput(attrs={"min": 0, "style": "width:4rem"}),
        }


class BaseSignatoryFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("title")
        ]
        if not kept:
            raise forms.ValidationError(gettext("A declaration needs at least one signatory."))


MAX_SIGNATORIES = 12


def signatory_formset(extra: int = 0) -> type[BaseSignatoryFormSet]:
    """Signatory rows; ``extra`` blank rows (a new declaration starts with the usual four)."""
    return inlineformset_factory(
        Declaration,
        Signatory,
        form=SignatoryForm,
        formset=BaseSignatoryFormSet,
        extra=extra,
        can_delete=True,
        max_num=MAX_SIGNATORIES,
        validate_max=True,
    )


def default_signatories() -> list[dict[str, Any]]:
    """The usual signatories of 資訊安全整體執行情形聲明書."""
    return [
        {"position": index, "title": title, "name": ""}
        for index, title in enumerate(
            [
                gettext("Chairman"),
                gettext("President"),
                gettext("Chief Auditor"),
                gettext("Chief Information Security Officer"),
            ],
            start=1,
        )
    ]


def default_statement(year: int) -> str:
    """A starting text for the declaration, to be adapted by the institution."""
    return gettext(
        "For the year %(year)s (ROC year %(roc_year)s, 1 January to 31 December), on the basis "
        "of the self-assessment by its information security unit and the audit by its internal "
        "audit unit, the company declares that:\n"
        "1. The company knows that establishing, maintaining and operating its information "
        "security management is the responsibility of the board of directors and of management, "
        "and has appointed a chief information security officer who leads the security policy "
        "and allocates its resources.\n"
        "2. The company has assessed its compliance with the information security laws, "
        "regulations and self-regulatory rules that apply to it; the results, the major security "
        "incidents and the improvement plans for the requirements not yet met have been reported "
        "to the board of directors.\n"
        "3. Apart from the deficiencies listed in the improvement plans, the company's information "
        "security management was designed and operated effectively during the year.\n"
        "4. This declaration was approved by the board of directors and is signed jointly by the "
        "chairman, the president, the chief auditor and the chief information security officer."
    ) % {"year": year, "roc_year": year - 1911}
