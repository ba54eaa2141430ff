"""The zh-TW catalogue covers every message in the code, and the shipped .mo is compiled from it."""

from __future__ import annotations

import gettext
import io

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from finres.core import i18n
from finres.core.i18n import LOCALE_DIR, label

PO = LOCALE_DIR / "zh_Hant" / "LC_MESSAGES" / "finres.po"
MO = PO.with_suffix(".mo")


def code_messages() -> set[str]:
    """Messages of the `finres` domain: the CLI and the core (the web app uses Django's)."""
    package = LOCALE_DIR.parent
    keywords = {"_": None, "N_": None}
    found = set()
    for folder in (package / "core", package / "web" / "ops"):
        found |= {
            m for _, _, m, _, _ in extract_from_dir(folder, keywords=keywords) if isinstance(m, str)
        }
    for module in ("cli.py", "cli_ops.py"):
        with (package / module).open("rb") as handle:
            from babel.messages.extract import extract_python

            found |= {
                m for _, _, m, _ in extract_python(handle, keywords, [], {}) if isinstance(m, str)
            }
    return found


def _messages(translations: gettext.GNUTranslations) -> dict:
    """The compiled messages without the header entry (tools write headers differently)."""
    return {k: v for k, v in translations._catalog.items() if k != ""}  # type: ignore[attr-defined]


def test_every_message_in_the_code_is_translated() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted(m for m in code_messages() if not translated.get(m))
    assert missing == []
    assert not catalog.fuzzy


def test_the_mo_file_is_compiled_from_the_po_file() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    expected = gettext.GNUTranslations(buffer)
    with MO.open("rb") as handle:
        shipped = gettext.GNUTranslations(handle)
    assert _messages(shipped) == _messages(expected), "run `make messages` to recompile"


def test_labels_in_both_languages() -> None:
    assert label("shall", "zh-TW") == "應"
    assert label("should", "zh-TW") == "宜"
    assert label("core_systems", "en") == "Core systems"
    assert i18n.gettext_for("zh-TW").gettext("in force") == "生效中"


# --- the web application's Django catalogues -------------------------------------------------

WEB = LOCALE_DIR.parent / "web"
DJANGO_CATALOGUES = sorted(WEB.glob("**/locale/zh_Hant/LC_MESSAGES/django.po"))


def test_every_web_app_with_messages_has_a_catalogue() -> None:
    names = {po.parts[-5] for po in DJANGO_CATALOGUES}  # <app>/locale/zh_Hant/LC_MESSAGES
    assert {"web", "orgs", "frameworks", "audit"} <= names


@pytest.mark.parametrize("po", DJANGO_CATALOGUES, ids=lambda p: str(p.relative_to(WEB)))
def test_django_catalogue_is_complete_and_compiled(po) -> None:
    with po.open("rb") as handle:
        catalog = read_po(handle)
    assert catalog.plural_forms == "nplurals=1; plural=0;", "zh_Hant has one plural form"
    untranslated = [
        m.id
        for m in catalog
        if m.id and (not all(m.string) if isinstance(m.string, tuple) else not m.string)
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    with po.with_suffix(".mo").open("rb") as handle:
        shipped = gettext.GNUTranslations(handle)
    assert _messages(shipped) == _messages(gettext.GNUTranslations(buffer)), (
        "run `make messages` to recompile"
    )
