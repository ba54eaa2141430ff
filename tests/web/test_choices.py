"""The fast select boxes write what Django's own widgets write (same attributes, options,
labels escaped, selection), without a template per option."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django import forms

from finres.web.choices import FastChoicesMixin, FastSelect, FastSelectMultiple
from finres.web.crypto.forms import AssetForm
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem

pytestmark = pytest.mark.django_db


class Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.select: dict[str, Any] = {}
        self.options: list[tuple[str | None, bool, str]] = []
        self._open: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "select":
            self.select = dict(attrs)
        elif tag == "option":
            values = dict(attrs)
            self._open = [values.get("value"), "selected" in values, ""]

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._open is not None:
            self.options.append((self._open[0], self._open[1], self._open[2]))
            self._open = None


def parsed(html: str) -> Parsed:
    parser = Parsed()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("multiple", [False, True])
def test_the_same_select_as_django_writes(org: Organisation, multiple: bool) -> None:
    systems = [
        InformationSystem.objects.create(organisation=org, code=f"S{i}", name=name)
        for i, name in enumerate(["Core <banking>", 'Quote "feed" & co', "網路下單"])
    ]
    field_class = forms.ModelMultipleChoiceField if multiple else forms.ModelChoiceField

    class Plain(forms.Form):
        system = field_class(queryset=InformationSystem.objects.filter(organisation=org))

    class Fast(FastChoicesMixin, Plain):
        pass

    value = [systems[0].pk, systems[2].pk] if multiple else systems[1].pk
    plain, fast = Plain(initial={"system": value}), Fast(initial={"system": value})
    widget_class = FastSelectMultiple if multiple else FastSelect
    assert type(fast.fields["system"].widget) is widget_class
    expected, got = parsed(str(plain["system"])), parsed(str(fast["system"]))
    assert got.select == expected.select
    assert got.options == expected.options
    assert sum(1 for _v, chosen, _l in got.options if chosen) == (2 if multiple else 1)
    assert "&lt;banking&gt;" in str(fast["system"])  # escaped, never markup


def test_the_forms_of_large_registers_use_them(org: Organisation) -> None:
    form = AssetForm(organisation=org)
    assert type(form.fields["system"].widget) is FastSelect
    # a queryset narrowed after the swap still reaches the fast widget
    InformationSystem.objects.create(organisation=org, code="A", name="Alpha")
    assert "Alpha" in str(form["system"])
