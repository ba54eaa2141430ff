"""``{% url %}`` reversed once per view name (finres.web.urlcache) gives exactly Django's URLs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.template import engines
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from finres.web import urlcache

CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")


def named_routes(patterns: Any = None, namespace: str = "", route: str = "") -> Iterator[Any]:
    """(namespaced name, route text) of every named pattern, includes expanded."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        text = route + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_routes(pattern.url_patterns, inner, text)
        elif isinstance(pattern, URLPattern) and pattern.name and "format" not in text:
            yield namespace + pattern.name, text


def int_routes() -> list[tuple[str, int]]:
    """Names whose every argument is a whole number (``<int:…>``), with their argument count."""
    found = []
    for name, text in named_routes():
        converters = CONVERTER.findall(text)
        if "(?P<" not in text and all(c == "int" for c in converters):
            found.append((name, len(converters)))
    return sorted(set(found))


ROUTES = int_routes()


def test_the_walk_finds_routes_with_and_without_numbers() -> None:
    assert any(count == 0 for _, count in ROUTES)
    assert any(count == 1 for _, count in ROUTES)
    assert ("assessments:result", 1) in ROUTES


@settings(max_examples=60, deadline=None)
@given(route=st.sampled_from(ROUTES), numbers=st.lists(st.integers(0, 10**12), max_size=3))
def test_every_numbered_route_reverses_as_django_does(
    route: tuple[str, int], numbers: list[int]
) -> None:
    name, count = route
    args = [*numbers, 7, 8, 9][:count]
    assert urlcache.fast_reverse(name, args) == reverse(name, args=args)


def test_other_arguments_are_reversed_by_django() -> None:
    assert urlcache.fast_reverse("registers:export", ["systems"]) == reverse(
        "registers:export", args=["systems"]
    )
    with pytest.raises(NoReverseMatch):  # a negative number matches no int route
        urlcache.fast_reverse("assessments:result", [-1])
    with pytest.raises(NoReverseMatch):
        urlcache.fast_reverse("assessments:result", [])


def test_every_template_uses_the_remembered_tag_with_django_syntax() -> None:
    template = engines["django"].from_string(
        "{% url 'assessments:result' pk %}|{% url 'reports:dashboard' %}|"
        "{% url 'assessments:result' pk=pk %}|{% url 'registers:export' 'systems' %}|"
        "{% url 'no-such-view' as missing %}[{{ missing }}]"
    )
    assert any(isinstance(n, urlcache.RememberedURLNode) for n in template.template.nodelist)
    rendered = template.render({"pk": 42})
    assert rendered == "|".join(
        [
            reverse("assessments:result", args=[42]),
            reverse("reports:dashboard"),
            reverse("assessments:result", kwargs={"pk": 42}),
            reverse("registers:export", args=["systems"]),
            "[]",
        ]
    )
    with pytest.raises(NoReverseMatch):
        engines["django"].from_string("{% url 'no-such-view' %}").render({})


def test_every_numbered_route_is_reversed_from_the_remembered_text() -> None:
    """The quick way applies to each of them (else every use would be Django's reversal)."""
    for name, count in ROUTES:
        parts = urlcache._split(name, count, None)
        assert parts is not None and len(parts) == count + 1, name
