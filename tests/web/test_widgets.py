"""The quick select box writes exactly Django's markup, and the filter forms use it."""

from __future__ import annotations

from typing import Any

from django import forms
from hypothesis import given, settings
from hypothesis import strategies as st

from finres.web.assessments.filters import ResultFilterSet
from finres.web.widgets import QuickSelect

TEXT = st.text(alphabet=st.sampled_from("ab <>&\"'é中 "), max_size=6)
VALUE = st.one_of(TEXT, st.integers(-5, 500))
OPTION = st.tuples(VALUE, TEXT)
CHOICE = st.one_of(OPTION, st.tuples(TEXT.filter(bool), st.lists(OPTION, max_size=3)))
ATTRS = st.dictionaries(
    st.sampled_from(["class", "data-x", "required", "hidden", "title", "id"]),
    st.one_of(st.booleans(), TEXT, st.integers(0, 9)),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    choices=st.lists(CHOICE, max_size=6),
    value=st.one_of(st.none(), VALUE),
    attrs=ATTRS,
    extra=ATTRS,
    required=st.booleans(),
)
def test_the_markup_is_djangos(
    choices: list[Any], value: Any, attrs: dict[str, Any], extra: dict[str, Any], required: bool
) -> None:
    rendered = []
    for widget_class in (forms.Select, QuickSelect):
        widget = widget_class(attrs=attrs, choices=choices)
        widget.is_required = required
        rendered.append(str(widget.render("name", value, attrs=extra)))
    assert rendered[0] == rendered[1]


def test_the_filter_forms_use_it() -> None:
    form = ResultFilterSet(data={}, queryset=None).form
    assert isinstance(form.fields["result"].widget, QuickSelect)
    html = str(form["result"])
    assert html.startswith('<select name="result"') and "</option>" in html
