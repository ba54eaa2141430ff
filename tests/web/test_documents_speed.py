"""Fast documents: charts drawn in parallel without a global lock, the PDF's charts as text,
a reused font configuration, and no more fonts embedded than the report needs."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.core.cache import cache

from finres.web.orgs.models import Organisation
from finres.web.reports import charts, documents

from .test_reports import populate
from .test_reports_documents import board_report, pdf_text

pytestmark = pytest.mark.django_db


def _draw(index: int) -> Any:
    labels = ["治理", "識別", "保護", "偵測", "回應", "復原"]
    if index % 3 == 0:
        return charts.radar(labels, [charts.Series(f"s{index}", [index % 5 + 0.5] * 6, "current")])
    if index % 3 == 1:
        return charts.trend(
            [2023, 2024, 2025], [charts.Series(f"整體{index}", [1.0, 2.0, index % 5], "current")]
        )
    return charts.stacked_bars([f"框架 {index}"], [("compliant", "符合", [index + 1])])


def test_charts_drawn_at_once_in_threads_equal_those_drawn_one_by_one() -> None:
    charts.warm_up()
    cache.clear()
    alone = [_draw(index) for index in range(9)]
    cache.clear()
    together: dict[int, Any] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(9)

    def work(index: int) -> None:
        try:
            start.wait()
            together[index] = _draw(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert [together[index] for index in range(9)] == alone
    assert not hasattr(charts, "_lock")  # no lock around drawing any more


def test_svg_ids_are_stable_and_distinct_between_charts() -> None:
    cache.clear()
    first = _draw(0)
    cache.clear()
    assert _draw(0) == first  # the same data gives the same SVG (ids included)
    other = _draw(3)  # another radar: the same shapes, other data
    pattern = re.compile(r'id="([pm][0-9a-f]{10})"')
    first_ids, other_ids = set(pattern.findall(first)), set(pattern.findall(other))
    assert first_ids and other_ids and first_ids.isdisjoint(other_ids)


def test_board_report_pdf_embeds_regular_and_bold_only(org: Organisation) -> None:
    populate(org)
    report = board_report(org)
    pdf = documents.board_report_pdf(report)
    text, fonts = pdf_text(pdf)
    embedded = {font for font in fonts if "(embedded)" in font}
    # Chart labels are text in the regular CJK font; no slanted copy of a CJK font.
    assert len(embedded) == 2, embedded
    assert all("CJK" in font for font in embedded), embedded
    assert not any("Oblique" in font or "Italic" in font for font in fonts), fonts
    assert "治理" in text.replace(" ", "")  # the radar chart's axis, selectable text
    assert documents.board_report_pdf(report)[:5] == b"%PDF-"  # the kept configuration again
