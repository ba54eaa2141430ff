from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finres.web.assessments.models import Assessment
from finres.web.choices import FastChoicesMixin
from finres.web.evidence import files, services
from finres.web.evidence.models import Evidence


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class _DatesMixin(forms.Form):
    effective_date = forms.DateField(label=_("Effective from"), required=False, widget=DateInput())
    expiry_date = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty if the evidence does not expire."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        effective, expiry = data.get("effective_date"), data.get("expiry_date")
        if effective and expiry and expiry < effective:
            self.add_error("expiry_date", _("The expiry date cannot be before the effective date."))
        return data


class EvidenceForm(_DatesMixin):
    """A new piece of evidence: a file (checked by content) or a web link."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Evidence.Kind.choices,
        initial=Evidence.Kind.FILE,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        allow_empty_file=True,  # an empty file gets the precise message from the content check
        help_text=files.ACCEPTED_DESCRIPTION,
    )
    url = forms.CharField(
        label=_("Link"),
        required=False,
        max_length=1000,
        validators=[services.validate_link_url],
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )

    field_order = [
        "kind", "title", "description", "file", "url", "effective_date", "expiry_date",
    ]  # fmt: skip

    def __init__(self, *args: Any, fixed_kind: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_kind = fixed_kind
        if fixed_kind:
            # A new version keeps the kind of the one it replaces.
            self.fields["kind"].initial = fixed_kind
            self.fields["kind"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = self.fixed_kind or data.get("kind")
        if kind == Evidence.Kind.FILE:
            if not data.get("file"):
                self.add_error("file", _("Choose the file to upload."))
            data["url"] = ""
        elif kind == Evidence.Kind.LINK:
            if not data.get("url") and "url" not in self.errors:
                self.add_error("url", _("Enter the link."))
            data["file"] = None
        return data


class EvidenceEditForm(_DatesMixin):
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    url = forms.CharField(
        label=_("Link"),
        max_length=1000,
        validators=[services.validate_link_url],
        widget=forms.URLInput(),
    )

    field_order = ["title", "description", "url", "effective_date", "expiry_date"]

    def __init__(self, *args: Any, evidence: Evidence, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "title": evidence.title,
                "description": evidence.description,
                "url": evidence.url,
                "effective_date": evidence.effective_date,
                "expiry_date": evidence.expiry_date,
            },
        )
        super().__init__(*args, **kwargs)
        if evidence.kind != Evidence.Kind.LINK:
            del self.fields["url"]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Evidence.Review.APPROVED, _("Approve")),
            (Evidence.Review.REJECTED, _("Reject")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when rejecting."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("decision") == Evidence.Review.REJECTED
            and not (data.get("comment") or "").strip()
        ):
            self.add_error("comment", _("Say why the evidence is rejected."))
        return data


class LinkSearchForm(FastChoicesMixin, forms.Form):
    assessment = forms.ModelChoiceField(
        label=_("Assessment"),
        queryset=Assessment.objects.none(),
        required=False,
        widget=forms.Select(attrs={"id": "link-assessment"}),
    )
    q = forms.CharField(label=_("Requirement"), required=False, max_length=200)

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assessment"]
        field.queryset = Assessment.objects.filter(organisation=organisation)
        field.empty_label = _("All assessments")


class WorkbookForm(forms.Form):
    file = forms.FileField(
        label=_("Workbook (XLSX)"),
        allow_empty_file=True,
        help_text=_("A workbook exported from this assessment, with your changes."),
    )
