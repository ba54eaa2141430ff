"""Command-line usage errors in the user's language.

Typer (and the click code it carries) words usage errors in English, and for option values it
checks with pydantic it passes pydantic's own wording on ("Input should be a valid integer").
``usage_message`` rewords each kind of usage error with the CLI's catalogue instead, from the
error's parts: the option, the value typed and, for a choice, the values allowed.
"""

from __future__ import annotations

import enum
import inspect
import typing
from collections.abc import Callable
from typing import Any

from typer.exceptions import TyperException

from finres.core.i18n import N_

Translate = Callable[[str], str]

# pydantic's error types for a value typed on the command line, worded by the CLI.
_VALUE_PROBLEMS = {
    "int_parsing": N_("{option}: {value!r} is not a whole number"),
    "int_type": N_("{option}: {value!r} is not a whole number"),
    "greater_than_equal": N_("{option}: {value} is less than {ge}"),
    "less_than_equal": N_("{option}: {value} is more than {le}"),
}


def _option(error: Any) -> str:
    param = getattr(error, "param", None)
    opts = getattr(param, "opts", None) or []
    return str(opts[0]) if opts else str(getattr(param, "name", "") or "")


def _choices(error: Any) -> list[str]:
    """The values an enum-typed option allows, read from the command's signature."""
    param, ctx = getattr(error, "param", None), getattr(error, "ctx", None)
    callback = getattr(getattr(ctx, "command", None), "callback", None)
    if param is None or callback is None:
        return []
    try:
        hints = typing.get_type_hints(callback, include_extras=True)
    except Exception:  # a signature we cannot read: no list of choices
        return []
    kind: Any = hints.get(getattr(param, "name", ""), None)
    for _ in range(4):  # unwrap Annotated[...] and Optional[...]
        if inspect.isclass(kind) and issubclass(kind, enum.Enum):
            return [str(member.value) for member in kind]
        arguments = [a for a in typing.get_args(kind) if a is not type(None)]
        if not arguments:
            return []
        kind = arguments[0]
    return []


def usage_message(error: TyperException, translate: Translate) -> str:
    """One line, in the catalogue's language, saying what is wrong with the command typed."""
    kind = type(error).__name__
    option = _option(error)
    if kind == "NoSuchOption":
        return translate("no such option: {option}").format(
            option=getattr(error, "option_name", "")
        )
    if kind == "MissingParameter":
        return translate("missing option: {option}").format(option=option)
    if kind == "BadParameter":
        cause: Any = error.__cause__  # pydantic's ValidationError, when Typer checked the value
        errors = cause.errors() if hasattr(cause, "errors") else []
        item = errors[0] if errors else {}
        value = item.get("input", "")
        choices = _choices(error)
        if choices:
            return translate("{option}: {value!r} is not one of: {choices}").format(
                option=option, value=value, choices=", ".join(choices)
            )
        wording = _VALUE_PROBLEMS.get(item.get("type", ""))
        if wording:
            return translate(wording).format(option=option, value=value, **item.get("ctx", {}))
        return translate("{option}: {value!r} is not a valid value").format(
            option=option, value=value
        )
    if kind == "UsageError" and "command" in error.format_message().lower():
        return translate("no such command; see finres --help")
    return translate("the command is not complete or not valid; see finres --help")
