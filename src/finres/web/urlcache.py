"""The ``{% url %}`` tag, with each view's reversal worked out once per process.

Django reverses a view's name on every use, about 40 µs each against FinRes's URLs, and a list
links every row (three links a row on an assessment's 50 results: 8 ms a page, and 25 more in
every page's menu). Here a name is reversed once with stand-in numbers for its arguments; later
uses put the row's numbers into the remembered text. Only for positional whole numbers placed
unchanged by their pattern (the ``int`` converter); anything else is reversed as Django does.
The settings make this library a template builtin, so that every template's ``{% url %}`` is
this one.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()

# Numbers no URL of FinRes contains otherwise, one per argument.
STAND_INS = tuple(9_183_746_500 + n for n in range(1, 6))
CHECK_WITH = (1, 22, 333, 4_444, 55_555)
_UNKNOWN = object()
# (view name, argument count, current app, prefix, URLconf, language) -> the text around the
# arguments, or None where this name is reversed as Django does
_around: dict[tuple[Any, ...], list[str] | None] = {}


def _split(view_name: str, count: int, current_app: str | None) -> list[str] | None:
    """The reversed URL cut at its arguments, when numbers land in it unchanged."""
    if count > len(STAND_INS):
        return None
    try:
        text = reverse(view_name, args=STAND_INS[:count], current_app=current_app)
        expected = reverse(view_name, args=CHECK_WITH[:count], current_app=current_app)
    except NoReverseMatch:
        return None
    parts: list[str] = []
    for stand_in in map(str, STAND_INS[:count]):
        before, found, text = text.partition(stand_in)
        if not found or stand_in in text:
            return None
        parts.append(before)
    parts.append(text)
    if _join(parts, CHECK_WITH[:count]) != expected:
        return None
    return parts


def _join(parts: list[str], args: tuple[int, ...] | list[int]) -> str:
    pieces = [parts[0]]
    for arg, after in zip(args, parts[1:], strict=True):
        pieces.append(str(arg))
        pieces.append(after)
    return "".join(pieces)


def fast_reverse(view_name: str, args: list[Any], current_app: str | None = None) -> str:
    """``reverse(view_name, args=args)``, from the remembered text where it applies."""
    if not all(type(arg) is int and arg >= 0 for arg in args):
        return reverse(view_name, args=args, current_app=current_app)
    key = (view_name, len(args), current_app, get_script_prefix(), get_urlconf(), get_language())
    parts = _around.get(key, _UNKNOWN)
    if parts is _UNKNOWN:
        parts = _around[key] = _split(view_name, len(args), current_app)
    if parts is None:
        return reverse(view_name, args=args, current_app=current_app)
    return _join(parts, args)  # type: ignore[arg-type]


class RememberedURLNode(URLNode):
    def render(self, context: Any) -> str:
        if self.kwargs:
            return str(super().render(context))
        view_name = self.view_name.resolve(context)
        args = [arg.resolve(context) for arg in self.args]
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        url = ""
        try:
            url = fast_reverse(view_name, args, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return str(conditional_escape(url) if context.autoescape else url)


@register.tag
def url(parser: Any, token: Any) -> RememberedURLNode:
    """Django's ``{% url %}`` (same syntax), reversed once per view name."""
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
