"""User-facing text in zh-TW (the default) and English, through gettext catalogues.

Messages are written in English in the code (``msgid``) and translated in
``src/finres/locale/<dir>/LC_MESSAGES/finres.po``; the compiled ``.mo`` files ship with the
package. ``make messages`` extracts, updates and compiles them.
"""

from __future__ import annotations

import functools
import gettext
from enum import StrEnum
from pathlib import Path
from typing import Final, Literal

Language = Literal["zh-TW", "en"]
DEFAULT_LANGUAGE: Final[Language] = "zh-TW"
LANGUAGES: Final[tuple[Language, ...]] = ("zh-TW", "en")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "finres"
# Directory names follow Django's locale naming so the web app can share the catalogues.
_LOCALE_DIRS: Final[dict[Language, str]] = {"zh-TW": "zh_Hant", "en": "en"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


@functools.cache
def translations(language: Language) -> gettext.NullTranslations:
    return gettext.translation(
        DOMAIN, localedir=LOCALE_DIR, languages=[_LOCALE_DIRS[language]], fallback=True
    )


def gettext_for(language: Language) -> gettext.NullTranslations:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r} (use one of: {', '.join(LANGUAGES)})")
    return translations(language)


_LABELS: Final[dict[str, str]] = {
    # industry
    "securities": N_("Securities firm"),
    "futures": N_("Futures firm"),
    "investment_trust": N_("Securities investment trust"),
    "bank": N_("Bank"),
    "insurance": N_("Insurance company"),
    # obligation
    "shall": N_("shall"),
    "should": N_("should"),
    "may": N_("may"),
    # scope
    "whole_company": N_("Whole company"),
    "core_systems": N_("Core systems"),
    "internet_facing_core_systems": N_("Internet-facing core systems"),
    # executing units
    "fsc": N_("FSC"),
    "fsc_business_bureaus": N_("FSC business bureaus"),
    "financial_institutions": N_("Financial institutions"),
    "associations": N_("Industry associations"),
    "peripheral_units": N_("Peripheral (market infrastructure) units"),
    "f_isac": N_("F-ISAC"),
    "training_institutions": N_("Training institutions"),
    # lineage
    "new": N_("New"),
    "continued": N_("Continued"),
    "continued_strengthened": N_("Continued and strengthened"),
    "continued_expanded": N_("Continued and expanded"),
    # uses
    "cloud": N_("Cloud services"),
    "social_media": N_("Official social-media accounts"),
    "mobile_devices": N_("Corporate mobile devices"),
    "byod": N_("Bring your own device"),
    "mobile_app": N_("Customer mobile app"),
    "iot": N_("Internet of Things"),
    "phone_trading": N_("Phone trading"),
    "video_identity": N_("Video identity verification"),
    "ai": N_("Artificial intelligence"),
    "generative_ai": N_("Generative AI"),
    "co_location": N_("Co-location"),
    # facts a profile may leave unknown ("internet_facing_core_systems" is the scope's label)
    "foreign_group_entity": N_("Part of a foreign financial group"),
    "soc": N_("Runs a security operations centre (SOC)"),
    "financial_holding": N_("Financial holding company"),
    "material_cloud_outsourcing": N_("Material cloud outsourcing"),
    "hybrid_cloud": N_("Hybrid cloud"),
    "offshore_processing": N_("Data processed or stored offshore"),
    "cross_border_personal_data": N_("Cross-border transfer of personal data"),
    "natural_person_material_system_on_cloud": N_(
        "Material systems with natural persons' data on the cloud"
    ),
    "third_party_ai": N_("AI provided by third parties"),
    "consumer_facing_ai": N_("AI serving consumers directly"),
    "remote_insurance": N_("Insurance e-commerce or remote insurance"),
    "total_assets": N_("Total assets"),
    # applicability statuses
    "in_force": N_("in force"),
    "upcoming": N_("upcoming"),
    "overdue": N_("overdue"),
    "conditional": N_("conditional"),
    # framework kinds
    "regulation": N_("Regulation"),
    "guideline": N_("Guideline"),
    "policy_programme": N_("Policy programme"),
    "standard": N_("Standard"),
    "maturity_model": N_("Maturity model"),
}


def label(value: StrEnum | str, language: Language = DEFAULT_LANGUAGE) -> str:
    """The display label of a vocabulary value in ``language`` (the value itself if unknown)."""
    key = str(value)
    message = _LABELS.get(key)
    return gettext_for(language).gettext(message) if message else key
