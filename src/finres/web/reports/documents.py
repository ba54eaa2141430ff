"""The board report and the declaration as HTML, PDF (WeasyPrint) and Word (python-docx).

All three are rendered in the active language (zh-TW by default, English on request).
Traditional Chinese in the PDF needs a CJK font (see ``pdf/report.css``); in Word the East Asian
font is set on every style and run (``w:eastAsia``), as Word otherwise picks its own.
"""

from __future__ import annotations

import base64
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from finres.core.i18n import Language
from finres.web.assessments.models import Result
from finres.web.improvements.models import Finding
from finres.web.language import current_language
from finres.web.reports import charts, content
from finres.web.reports.content import localise
from finres.web.reports.metrics import RESULT_ORDER
from finres.web.reports.models import BoardReport, Declaration

PDF_CSS = Path(__file__).resolve().parent / "pdf" / "report.css"
# Word users in Taiwan have Microsoft JhengHei; LibreOffice substitutes an installed CJK font.
DOCX_EAST_ASIAN_FONT = "Microsoft JhengHei"
DOCX_LATIN_FONT = "Calibri"


# --- the sections of the board report -----------------------------------------------------------


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    narrative: str


def sections(report: BoardReport) -> list[Section]:
    """The four contents blueprint measure 2 lists, in its order."""
    return [
        Section(
            "programme", _("Security programme: execution and changes"), report.programme_execution
        ),
        Section(
            "incidents", _("Major security incidents and improvements"), report.major_incidents
        ),
        Section(
            "risk",
            _("Current risk assessment and effectiveness of controls"),
            report.risk_assessment,
        ),
        Section(
            "budget", _("Security budget use and resource allocation"), report.budget_resources
        ),
    ]


def report_data(report: BoardReport) -> dict[str, Any]:
    """The figures of a final report as signed; a draft's as they are now."""
    if report.is_final and report.snapshot:
        return report.snapshot
    return content.build(report.organisation, report.year)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def score(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def change(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def money(value: int | None) -> str:
    """NT$ amounts with thousands separators in every language (12,345,678)."""
    return "–" if value is None else f"{value:,}"


def presentation(data: dict[str, Any], lang: Language | None = None) -> dict[str, Any]:
    """The data in one language, with display labels and formatted numbers for templates."""
    lang = lang or current_language()
    shown = localise(data, lang)
    result_labels = dict(Result.choices)
    severity_labels = dict(Finding.Severity.choices)
    status_labels = dict(Finding.Status.choices)
    for framework in shown["frameworks"]:
        framework["results"] = [
            {"key": key, "label": str(result_labels[key]), "count": framework["counts"].get(key, 0)}
            for key in RESULT_ORDER
        ]
        framework["rate_text"] = percent(framework["rate"])
        m = framework["maturity"]
        framework["maturity_text"] = score(m["mean"]) if m else "–"
        framework["target_text"] = (
            f"{m['target']} {m['target_title']}" if m and m["target"] is not None else "–"
        )
        framework["at_target_text"] = percent(m["share_at_target"]) if m else "–"
        framework["previous_text"] = score(framework["previous_mean"])
        framework["change_text"] = change(framework["change"])
    shown["compliance"]["results"] = [
        {
            "key": key,
            "label": str(result_labels[key]),
            "count": shown["compliance"]["counts"].get(key, 0),
        }
        for key in RESULT_ORDER
    ]
    shown["compliance"]["rate_text"] = percent(shown["compliance"]["rate"])
    for function in shown["maturity"]["functions"]:
        function["current_text"] = score(function["current"])
        function["previous_text"] = score(function["previous"])
        function["target_text"] = score(function["target"])
        difference = (
            None
            if function["current"] is None or function["previous"] is None
            else function["current"] - function["previous"]
        )
        function["change_text"] = change(difference)
    overall = shown["maturity"]["overall"]
    overall["current_text"] = score(overall["current"])
    overall["previous_text"] = score(overall["previous"])
    overall["target_text"] = score(overall["target"])
    overall["change_text"] = change(
        None
        if overall["current"] is None or overall["previous"] is None
        else overall["current"] - overall["previous"]
    )
    shown["maturity"]["coverage_text"] = percent(shown["maturity"]["coverage"])
    if "findings" in shown:  # the board report's data, not the dashboard's
        for row in [*shown["findings"]["incidents"], *shown["serious"]]:
            row["severity_label"] = str(severity_labels.get(row["severity"], row["severity"]))
            row["status_label"] = str(status_labels.get(row["status"], row["status"]))
        shown["findings"]["open_by_severity"] = [
            {"label": str(severity_labels[s]), "count": shown["findings"][f"open_{s}"]}
            for s in content.SEVERITY_ORDER
        ]
    return shown


# --- charts from the data -----------------------------------------------------------------------


def chart_images(shown: dict[str, Any], output: charts.Output) -> dict[str, Any]:
    """The report's charts (compliance, maturity radar, trend) from localised data."""
    functions = shown["maturity"]["functions"]
    year, previous_year = shown["maturity"]["year"], shown["maturity"]["previous_year"]
    images: dict[str, Any] = {}
    if shown["frameworks"]:
        images["compliance"] = charts.stacked_bars(
            [f["name"] for f in shown["frameworks"]],
            [
                (
                    key,
                    str(dict(Result.choices)[key]),
                    [f["counts"].get(key, 0) for f in shown["frameworks"]],
                )
                for key in RESULT_ORDER
            ],
            output=output,
        )
    if any(f["current"] is not None or f["previous"] is not None for f in functions):
        series = [
            charts.Series(str(year), [f["current"] for f in functions], "current"),
            charts.Series(str(previous_year), [f["previous"] for f in functions], "previous"),
        ]
        if any(f["target"] is not None for f in functions):
            series.append(charts.Series(_("Target"), [f["target"] for f in functions], "target"))
        images["radar"] = charts.radar([f["title"] for f in functions], series, output=output)
    trend = shown["maturity"]["trend"]
    if any(v is not None for v in trend.get("overall", [])):
        images["trend"] = charts.trend(
            shown["maturity"]["years"],
            [charts.Series(_("Overall"), trend["overall"], "current")]
            + [charts.Series(f["title"], trend[f["id"]]) for f in functions],
            output=output,
        )
    return images


def inline(images: dict[str, Any]) -> dict[str, SafeString]:
    """SVG strings for a page (drawn by us from our data; matplotlib escapes the labels)."""
    return {name: mark_safe(svg) for name, svg in images.items()}


def as_img(images: dict[str, Any]) -> dict[str, SafeString]:
    """SVG as <img> data URIs, for WeasyPrint."""
    return {
        name: mark_safe(
            '<img alt="" src="data:image/svg+xml;base64,'
            + base64.b64encode(svg.encode("utf-8")).decode("ascii")
            + '">'
        )
        for name, svg in images.items()
    }


# --- PDF ----------------------------------------------------------------------------------------


def _custom_font() -> Path | None:
    configured = getattr(settings, "FINRES_REPORT_FONT", "") or os.environ.get(
        "FINRES_REPORT_FONT", ""
    )
    if configured and Path(configured).is_file():
        return Path(configured).resolve()
    return None


def _fetcher(allowed_files: set[str]) -> Any:
    """Data URIs (the charts) and the configured font only: no file or network access."""
    from weasyprint.urls import URLFetcher

    class Fetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:") and url not in allowed_files:
                raise ValueError(f"refused to fetch {url[:60]}")
            return super().fetch(url, headers)

    return Fetcher(allowed_protocols={"data", "file"})


# One font configuration and parsed stylesheet per thread (Pango's font map is not meant to be
# shared between threads), kept for the life of the process: the fonts are found, opened and
# measured once instead of for every document, which is most of a first document's cost.
_printing = threading.local()


def _printer() -> tuple[Any, Any, Any]:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font = _custom_font()
    key = (str(font), PDF_CSS.stat().st_mtime_ns)
    cached = getattr(_printing, "printer", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    fetcher = _fetcher({font.as_uri()} if font else set())
    font_config = FontConfiguration()
    css = PDF_CSS.read_text(encoding="utf-8")
    if font:
        css += (
            f'\n@font-face {{ font-family: "FinRes Report"; src: url("{font.as_uri()}"); }}\n'
            'html { font-family: "FinRes Report", "Noto Sans CJK TC", "Noto Sans TC", '
            "sans-serif; }\n"
        )
    stylesheet = CSS(string=css, font_config=font_config, url_fetcher=fetcher)
    printer = (font_config, stylesheet, fetcher)
    _printing.printer = (key, printer)
    return printer


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """HTML from ``template`` printed to PDF; nothing outside the page is ever fetched."""
    from weasyprint import HTML

    font_config, stylesheet, fetcher = _printer()
    html = render_to_string(template, context)
    document = HTML(string=html, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet], font_config=font_config)
    return pdf


# Chinese, Latin, digits, regular and bold: what every report prints.
_WARM_UP_HTML = "<h1>資安報告 Report 2025</h1><p>董事會 board 0123456789 ％–·</p>"


def warm_up() -> None:
    """Load what the first document of a process would otherwise wait for: WeasyPrint, the
    fonts (found, opened, shaped and subset once) and the chart settings. Called once per
    process by the servers and workers before they take requests; safe to call again."""
    from django.template.loader import get_template
    from weasyprint import HTML

    charts.warm_up()
    for template in ("reports/pdf/board_report.html", "reports/pdf/declaration.html"):
        get_template(template)  # compiled once, kept by the cached template loader
    font_config, stylesheet, fetcher = _printer()
    HTML(string=_WARM_UP_HTML, url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet], font_config=font_config
    )


def board_report_pdf(report: BoardReport) -> bytes:
    shown = presentation(report_data(report))
    return render_pdf(
        "reports/pdf/board_report.html",
        # Charts as SVG with real text: WeasyPrint draws it with the CJK font the PDF embeds
        # anyway, in a fraction of the time glyph outlines take.
        board_context(report, shown, as_img(chart_images(shown, "svg"))),
    )


def board_context(
    report: BoardReport, shown: dict[str, Any], images: dict[str, SafeString]
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "report": report,
        "data": shown,
        "charts": images,
        "sections": sections(report),
        "budget": {
            "planned": money(report.budget_planned),
            "spent": money(report.budget_spent),
            "it": money(report.it_budget),
            "execution": percent(report.budget_execution),
            "share_of_it": percent(report.security_share_of_it),
            "staff": "–" if report.security_staff is None else str(report.security_staff),
        },
    }
    budget = context["budget"]
    # One row per figure: six columns side by side do not fit the width of an A4 page.
    context["budget_rows"] = [
        [_("Security budget planned (NT$)"), budget["planned"]],
        [_("Spent (NT$)"), budget["spent"]],
        [_("Execution"), budget["execution"]],
        [_("IT budget (NT$)"), budget["it"]],
        [_("Security share of IT"), budget["share_of_it"]],
        [_("Security staff (FTE)"), budget["staff"]],
    ]
    return context


def declaration_pdf(declaration: Declaration) -> bytes:
    return render_pdf(
        "reports/pdf/declaration.html",
        {"declaration": declaration, "signatories": list(declaration.signatories.all())},
    )


# --- Word ---------------------------------------------------------------------------------------


def _fonts(element: Any) -> None:
    """Latin and East Asian fonts on a run's or style's properties (and no theme overrides)."""
    properties = element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:ascii"), DOCX_LATIN_FONT)
    fonts.set(qn("w:hAnsi"), DOCX_LATIN_FONT)
    fonts.set(qn("w:eastAsia"), DOCX_EAST_ASIAN_FONT)
    lang = properties.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        properties.append(lang)
    lang.set(qn("w:eastAsia"), "zh-TW")


def _new_document(title: str) -> Any:
    document = Document()
    document.core_properties.title = title
    for style in document.styles:
        if hasattr(style, "element") and style.type in (1, 3):  # paragraph and table styles
            _fonts(style.element)
    document.styles["Normal"].font.size = Pt(10.5)
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(20)
    return document


def _text(document: Any, text: str, style: str | None = None, bold: bool = False) -> None:
    """One paragraph per line of ``text``."""
    lines = (text or "").splitlines() or [""]
    for line in lines:
        paragraph = document.add_paragraph(style=style)
        run = paragraph.add_run(line)
        run.bold = bold
        _fonts(run._element)


def _heading(document: Any, text: str, level: int) -> None:
    heading = document.add_heading(level=level)
    run = heading.add_run(text)
    _fonts(run._element)


def _table(document: Any, header: list[str], rows: list[list[str]], numeric: set[int]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for index, label in enumerate(header):
        cell = table.rows[0].cells[index]
        cell.text = ""
        run = cell.paragraphs[0].add_run(label)
        run.bold = True
        _fonts(run._element)
    for row in rows:
        cells = table.add_row().cells
        for index, value in enumerate(row):
            cells[index].text = ""
            paragraph = cells[index].paragraphs[0]
            if index in numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _fonts(paragraph.add_run(str(value))._element)
    document.add_paragraph()


def _picture(document: Any, png: bytes, width_mm: float) -> None:
    document.add_picture(io.BytesIO(png), width=Mm(width_mm))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _hint(document: Any, text: str) -> None:
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.italic = True
    run.font.color.rgb = RGBColor(0x5B, 0x67, 0x76)
    _fonts(run._element)


def board_report_docx(report: BoardReport) -> bytes:
    shown = presentation(report_data(report))
    images = chart_images(shown, "png")
    title = _("Annual information security report to the board of directors")
    document = _new_document(title)
    _heading(document, title, 0)
    _text(document, f"{report.organisation.name} · {_('Year %(year)s') % {'year': report.year}}")
    _text(document, f"{_('Status')}: {report.get_status_display()}", bold=report.is_final)
    if report.is_final and report.signed_at:
        _text(
            document,
            _("Signed by %(name)s on %(date)s")
            % {
                "name": report.signed_by.get_username() if report.signed_by else "–",
                "date": report.signed_at.date().isoformat(),
            },
        )
    if report.summary:
        _heading(document, _("Summary"), 1)
        _text(document, report.summary)
    for number, section in enumerate(sections(report), start=1):
        _heading(document, f"{number}. {section.heading}", 1)
        if section.narrative:
            _text(document, section.narrative)
        else:
            _hint(document, _("No narrative has been written for this section yet."))
        _docx_section_data(document, section.key, report, shown, images)
    _hint(
        document,
        _("Figures as at %(date)s, generated by FinRes from the platform's data.")
        % {"date": shown["as_of"]},
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_section_data(
    document: Any, key: str, report: BoardReport, shown: dict[str, Any], images: dict[str, Any]
) -> None:
    if key == "programme":
        _heading(document, _("Compliance by framework"), 2)
        if shown["frameworks"]:
            _table(
                document,
                [
                    _("Framework"),
                    _("Assessment"),
                    *[r["label"] for r in shown["compliance"]["results"]],
                    _("Compliance rate"),
                ],
                [
                    [
                        f["name"],
                        f["assessment"],
                        *[str(r["count"]) for r in f["results"]],
                        f["rate_text"],
                    ]
                    for f in shown["frameworks"]
                ],
                numeric=set(range(2, 8)),
            )
        else:
            _hint(document, _("No assessment recorded up to this year."))
        if "compliance" in images:
            _picture(document, images["compliance"], 160)
        milestones = shown["milestones"]
        _heading(document, _("Improvement plans"), 2)
        _table(
            document,
            [_("Milestones due in the year"), _("Completed"), _("Overdue")],
            [
                [
                    str(milestones["due_in_year"]),
                    str(milestones["done_in_year"]),
                    str(milestones["overdue"]),
                ]
            ],
            numeric={0, 1, 2},
        )
    elif key == "incidents":
        findings = shown["findings"]
        _heading(document, _("Incidents recorded in the year"), 2)
        if findings["incidents"]:
            _table(
                document,
                [_("Incident"), _("Severity"), _("Status"), _("Improvement plan")],
                [
                    [r["title"], r["severity_label"], r["status_label"], r["plan"]]
                    for r in findings["incidents"]
                ],
                numeric=set(),
            )
        else:
            _hint(document, _("No incident was recorded in the year."))
        _table(
            document,
            [
                _("Findings opened in the year"),
                _("Closed in the year"),
                _("Still open"),
                _("Overdue"),
            ],
            [
                [
                    str(findings["opened_in_year"]),
                    str(findings["closed_in_year"]),
                    str(findings["open"]),
                    str(findings["overdue"]),
                ]
            ],
            numeric={0, 1, 2, 3},
        )
    elif key == "risk":
        maturity = shown["maturity"]
        _heading(document, _("Maturity by NIST CSF 2.0 function"), 2)
        _table(
            document,
            [
                _("Function"),
                str(maturity["year"]),
                str(maturity["previous_year"]),
                _("Change"),
                _("Target"),
            ],
            [
                [
                    f["title"],
                    f["current_text"],
                    f["previous_text"],
                    f["change_text"],
                    f["target_text"],
                ]
                for f in maturity["functions"]
            ]
            + [
                [
                    _("Overall"),
                    maturity["overall"]["current_text"],
                    maturity["overall"]["previous_text"],
                    maturity["overall"]["change_text"],
                    maturity["overall"]["target_text"],
                ]
            ],
            numeric={1, 2, 3, 4},
        )
        if "radar" in images:
            _picture(document, images["radar"], 110)
        if "trend" in images:
            _picture(document, images["trend"], 160)
        _heading(document, _("Maturity by framework"), 2)
        rows = [
            [
                f["name"],
                f["maturity_text"],
                f["previous_text"],
                f["change_text"],
                f["target_text"],
                f["at_target_text"],
            ]
            for f in shown["frameworks"]
            if f["maturity"]
        ]
        if rows:
            _table(
                document,
                [
                    _("Framework"),
                    _("Mean level"),
                    _("Previous year"),
                    _("Change"),
                    _("Target"),
                    _("At or above target"),
                ],
                rows,
                numeric={1, 2, 3, 5},
            )
        else:
            _hint(document, _("No maturity level recorded in the year."))
        _heading(document, _("Open findings of high severity"), 2)
        if shown["serious"]:
            _table(
                document,
                [_("Finding"), _("Severity"), _("Status"), _("Due date")],
                [
                    [r["title"], r["severity_label"], r["status_label"], r["due_date"] or "–"]
                    for r in shown["serious"]
                ],
                numeric=set(),
            )
        else:
            _hint(document, _("No open finding of high or critical severity."))
        exceptions = shown["exceptions"]
        _heading(document, _("Exceptions (risk acceptances)"), 2)
        _table(
            document,
            [_("In force"), _("Expired"), _("Proposed")],
            [[str(exceptions["active"]), str(exceptions["expired"]), str(exceptions["proposed"])]],
            numeric={0, 1, 2},
        )
        evidence = shown["evidence"]
        _heading(document, _("Evidence"), 2)
        _table(
            document,
            [
                _("Total"),
                _("Approved"),
                _("Awaiting review"),
                _("Expired"),
                _("Expiring within 60 days"),
            ],
            [[str(evidence[k]) for k in ("total", "approved", "pending", "expired", "expiring")]],
            numeric={0, 1, 2, 3, 4},
        )
    elif key == "budget":
        rows = board_context(report, shown, {})["budget_rows"]
        _table(document, [_("Budget and resources"), _("Value")], rows, numeric={1})


def declaration_docx(declaration: Declaration) -> bytes:
    title = _("Declaration on the overall execution of information security")
    document = _new_document(title)
    _heading(document, title, 0)
    _text(
        document,
        f"{declaration.organisation.name} · {_('Year %(year)s') % {'year': declaration.year}}",
    )
    if not declaration.is_final:
        _text(document, f"{_('Status')}: {declaration.get_status_display()}", bold=True)
    _text(document, declaration.statement)
    if declaration.declared_on:
        _text(document, f"{_('Date of the declaration')}: {declaration.declared_on.isoformat()}")
    _table(
        document,
        [
            pgettext("signatory", "Title"),
            pgettext("signatory", "Name"),
            _("Signature"),
            _("Signed on"),
        ],
        [
            [s.title, s.name, "", s.signed_on.isoformat() if s.signed_on else ""]
            for s in declaration.signatories.all()
        ],
        numeric=set(),
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
