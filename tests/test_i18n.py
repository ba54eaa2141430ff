"""The zh-TW catalogue covers every message in the code, and the shipped .mo is compiled from it."""

from __future__ import annotations

import gettext
import io

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from finres.core import i18n
from finres.core.i18n import LOCALE_DIR, label

PO = LOCALE_DIR / "zh_Hant" / "LC_MESSAGES" / "finres.po"
MO = PO.with_suffix(".mo")


def code_messages() -> set[str]:
    package = LOCALE_DIR.parent
    keywords = {"_": None, "N_": None}
    return {
        message
        for _, _, message, _, _ in extract_from_dir(package, keywords=keywords)
        if isinstance(message, str)
    }


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
    assert shipped._catalog == expected._catalog, "run `make messages` to recompile"


def test_labels_in_both_languages() -> None:
    assert label("shall", "zh-TW") == "應"
    assert label("should", "zh-TW") == "宜"
    assert label("core_systems", "en") == "Core systems"
    assert i18n.gettext_for("zh-TW").gettext("in force") == "生效中"
