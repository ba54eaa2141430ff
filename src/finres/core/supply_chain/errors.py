"""The one error of the supply-chain core: a file that cannot be used, and where."""

from __future__ import annotations

import json
from typing import Any

from finres.core.i18n import DEFAULT_LANGUAGE, Language, gettext_for


class InputError(ValueError):
    """An SBOM, advisory, KEV or VEX file that cannot be read; ``place`` says where in it.

    ``problem`` is English (it often quotes a parser or a schema validator); the frame around
    it is translated.
    """

    def __init__(self, source: str, problem: str, place: str = "") -> None:
        self.source = source
        self.place = place
        self.problem = problem
        super().__init__(self.message("en"))

    def message(self, language: Language = DEFAULT_LANGUAGE) -> str:
        _ = gettext_for(language).gettext
        if self.place:
            return _("{source}: {place}: {problem}").format(
                source=self.source, place=self.place, problem=self.problem
            )
        return _("{source}: {problem}").format(source=self.source, problem=self.problem)


def json_place(path: list[str | int] | tuple[str | int, ...]) -> str:
    """A JSON location as people read it: ``components[3].purl``; the root is ``/``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "/"


def parse_json(raw: bytes, source: str, max_bytes: int | None = None) -> Any:
    """JSON text (of at most ``max_bytes``); InputError with the place of a syntax error."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise InputError(source, f"larger than {max_bytes // (1024 * 1024)} MiB")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise InputError(
            source, f"not valid JSON: {error.msg}", f"line {error.lineno}, column {error.colno}"
        ) from None
    except UnicodeDecodeError as error:
        raise InputError(source, f"not UTF-8 text: {error.reason}") from None
    except RecursionError:
        raise InputError(source, "nested too deeply") from None
