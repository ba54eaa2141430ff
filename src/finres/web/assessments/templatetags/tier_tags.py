"""The tier band an institution falls in, worded for the page's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from finres.web.language import current_language

register = template.Library()


@register.filter
def band_text(band: Any) -> str:
    """The source's own wording of the band in zh-TW ("第二級(6) 未達200億100億以上"); in
    English the capital range it covers, as the source's wording is Chinese only."""
    if band is None:
        return ""
    if current_language() != "en" and band.source_text:
        return str(band.source_text)
    low, high = band.min_capital, band.below_capital
    if low is not None and high is not None:
        return _("paid-in capital from NT$%(low)s up to (not including) NT$%(high)s") % {
            "low": f"{low:,}",
            "high": f"{high:,}",
        }
    if low is not None:
        return _("paid-in capital of NT$%(low)s or more") % {"low": f"{low:,}"}
    if high is not None:
        return _("paid-in capital below NT$%(high)s") % {"high": f"{high:,}"}
    return ""
