"""The one error of the supply-chain core: a file that cannot be used, and where."""

from __future__ import annotations

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
