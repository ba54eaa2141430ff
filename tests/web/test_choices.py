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


def test_options_of_a_large_register_are_read_as_two_columns(org: Organisation) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    InformationSystem.objects.create(organisation=org, code="A", name="Alpha")

    class Fast(FastChoicesMixin, forms.Form):
        system = forms.ModelChoiceField(queryset=InformationSystem.objects.filter(organisation=org))

    for form in (Fast(), AssetForm(organisation=org)):  # a plain field, a foreign key's
        with CaptureQueriesContext(connection) as queries:
            html = str(form["system"])
        assert "A Alpha" in html
        (sql,) = [q["sql"] for q in queries.captured_queries if "registers_" in q["sql"]]
        assert '"description"' not in sql and '"code"' in sql  # no instance of every column

    class Labelled(Fast):
        def __init__(self) -> None:
            super().__init__()
            self.fields["system"].label_from_instance = lambda s: f"{s.name} ({s.code})"

    assert "Alpha (A)" in str(Labelled()["system"])  # a field's own label is kept


def test_labels_read_from_columns_are_the_models_own_names(org: Organisation) -> None:
    """What the column-read options show is what ``str`` of the entry says, for every model
    that names its label's columns."""
    from django.apps import apps

    from finres.web.choices import label_of

    declared = [m for m in apps.get_models() if getattr(m, "choice_label_fields", None)]
    assert {m.__name__ for m in declared} >= {"InformationSystem", "Supplier", "Node", "Evidence"}
    for model in declared:
        values = {field: f"{field}-值" for field in model.choice_label_fields}
        entry = model(**values)
        assert str(entry) == label_of(*values.values()) == " ".join(values.values())


def _systems(org: Organisation, count: int, prefix: str = "S") -> list[InformationSystem]:
    return InformationSystem.objects.bulk_create(
        InformationSystem(organisation=org, code=f"{prefix}{i:05d}", name=f"系統 {i}")
        for i in range(count)
    )


def test_a_large_register_offers_its_first_entries_the_chosen_one_and_a_search(
    org: Organisation,
) -> None:
    from finres.web.choices import OFFERED

    systems = _systems(org, OFFERED + 30)
    late = systems[-1]  # sorts after every offered entry
    form = AssetForm(organisation=org, initial={"system": late.pk})
    html = str(form["system"])
    got = parsed(html)
    values = [value for value, _chosen, _label in got.options if value]
    assert len(values) == OFFERED + 1
    assert (str(late.pk), True, f"{late.code} {late.name}") in got.options
    assert got.select["data-choices-url"] == "/choices/registers.informationsystem/"
    assert f'data-choices-for="{got.select["id"]}"' in html
    # an entry the form did not offer is still accepted: the form validates against its queryset
    bound = AssetForm(organisation=org, data={"system": str(systems[OFFERED + 10].pk)})
    bound.is_valid()
    assert "system" not in bound.errors


def test_a_register_of_few_entries_is_offered_whole_without_search(org: Organisation) -> None:
    from finres.web.choices import OFFERED

    _systems(org, OFFERED)
    html = str(AssetForm(organisation=org)["system"])
    assert "data-choices-url" not in html and "choice-search" not in html
    assert len([v for v, _c, _l in parsed(html).options if v]) == OFFERED


def test_the_rendered_select_does_not_grow_with_the_register(org: Organisation) -> None:
    from finres.web.choices import OFFERED

    _systems(org, OFFERED * 2)
    small = len(str(AssetForm(organisation=org)["system"]))
    _systems(org, OFFERED * 8, prefix="T")
    assert len(str(AssetForm(organisation=org)["system"])) == small


def test_the_search_finds_entries_by_code_or_name_of_the_own_organisation_only(
    org: Organisation, other_org: Organisation, client_for: Any
) -> None:
    from finres.web.choices import OFFERED

    _systems(org, OFFERED + 5)
    InformationSystem.objects.create(organisation=org, code="CORE-1", name="核心帳務系統")
    InformationSystem.objects.create(organisation=other_org, code="CORE-2", name="核心帳務系統")
    client = client_for("control_owner", org)
    url = "/choices/registers.informationsystem/"
    found = client.get(url, {"q": "核心"}).json()
    assert [r["label"] for r in found["results"]] == ["CORE-1 核心帳務系統"]
    assert found["more"] is False
    assert [r["label"] for r in client.get(url, {"q": "core"}).json()["results"]] == [
        "CORE-1 核心帳務系統"
    ]
    everything = client.get(url).json()
    assert len(everything["results"]) == OFFERED and everything["more"] is True
    assert [r["label"] for r in client.get(url, {"q": "s00007 系統"}).json()["results"]] == [
        "S00007 系統 7"
    ]
    # only registers are searched; the board sees reports only
    assert client.get("/choices/orgs.membership/").status_code == 404
    assert client.get("/choices/nothing.here/").status_code == 404
    assert client.get("/choices/990000/").status_code == 404
    assert client_for("board", org).get(url).status_code == 403


def test_every_searchable_register_answers_only_the_askers_organisation(
    org: Organisation, other_org: Organisation, client_for: Any
) -> None:
    from django.apps import apps

    from finres.web.choices import searchable
    from finres.web.setup import load_demo

    load_demo()
    client = client_for("administrator", org)
    models = [m for m in apps.get_models() if searchable(m)]
    assert {m.__name__ for m in models} >= {"InformationSystem", "Supplier", "Site", "Node"}
    for model in models:
        assert model.objects.exclude(organisation=org).exists(), model  # the demo has some
        answer = client.get(f"/choices/{model._meta.label_lower}/")
        assert answer.status_code == 200
        assert answer.json() == {"results": [], "more": False}, model
