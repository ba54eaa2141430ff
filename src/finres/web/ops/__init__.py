"""Operating a FinRes site: backup and restore, and the consistency check (``finres doctor``).

Errors are ``OpsError``: an English message template (marked for translation in the ``finres``
catalogue) and its parameters, so that the command line can show it in the user's language.
"""

from __future__ import annotations

from typing import Any


class OpsError(Exception):
    """A problem the operator can act on; ``message`` is a template filled from ``params``."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params
