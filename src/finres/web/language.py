"""The language of the current request, as the core names it (``"zh-TW"`` or ``"en"``)."""

from __future__ import annotations

from django.utils.translation import get_language

from finres.core.i18n import Language


def current_language() -> Language:
    return "en" if (get_language() or "").startswith("en") else "zh-TW"
