"""Charts drawn on the server with matplotlib (Agg, no JavaScript): SVG for pages and PDF,
PNG for Word.

Chinese labels need a CJK font: the first of ``CJK_FAMILIES`` that fontconfig/matplotlib can find
(Debian's fonts-noto-cjk gives "Noto Sans CJK TC"). Pages get SVG with real text
(``svg.fonttype='none'``: small, sharp, selectable, drawn with the browser's fonts); the PDF gets
SVG with real text too (WeasyPrint draws it with the report's CJK font, which the PDF embeds
anyway; glyph outlines (``svg-paths``) remain available but cost WeasyPrint more to draw).
Rendered charts are cached by the hash of their content, in Django's cache (shared by every
process when the cache is Redis or files).

Thread safety: no pyplot and no per-call ``rcParams``. Each chart is its own ``Figure`` drawn
by its own canvas; the font settings are written to ``rcParams`` once, before the first chart,
and never changed after; what differs between outputs (text or outlines, the salt of the SVG
ids) is carried by the canvas and renderer of the call. So charts are drawn in parallel,
without a global lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import logging
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import matplotlib

matplotlib.use("Agg")

from django.core.cache import cache
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.figure import Figure
from matplotlib.projections.polar import PolarAxes

logger = logging.getLogger(__name__)

CJK_FAMILIES = (
    "Noto Sans CJK TC",
    "Noto Sans TC",
    "Source Han Sans TC",
    "Noto Sans CJK JP",
    "Microsoft JhengHei",
    "PingFang TC",
)
FALLBACK_FAMILY = "DejaVu Sans"
BROWSER_FALLBACK = "'PingFang TC', 'Microsoft JhengHei', sans-serif"
CACHE_SECONDS = 24 * 60 * 60
Output = Literal["svg", "svg-paths", "png"]

INK, MUTED, LINE = "#1d2733", "#5b6776", "#d8dee6"
CURRENT, PREVIOUS, TARGET = "#0b5cad", "#8a96a6", "#b26a00"
RESULT_COLOURS = {
    "compliant": "#1b7f3b",
    "partially_compliant": "#e0a100",
    "non_compliant": "#b3261e",
    "not_applicable": "#b8c2cf",
    "not_assessed": "#e3e8ef",
}
SERIES_COLOURS = ("#0b5cad", "#b26a00", "#1b7f3b", "#7b3fa0", "#b3261e", "#138a8a", "#5b6776")

_settings_lock = threading.Lock()  # held only while the global font settings are written
_settings_done: list[str] | None = None  # the families written


def _first_cjk_family() -> str | None:
    for family in CJK_FAMILIES:
        try:
            font_manager.fontManager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
        return family
    return None


@functools.cache
def cjk_family() -> str | None:
    """The first CJK font family available, or None (labels then lose their Chinese glyphs)."""
    family = _first_cjk_family()
    if family is None:
        # matplotlib caches the font list on first use; fonts installed since (the system
        # packages of `make test`, an operator's apt-get) are seen only once they are added.
        known = {entry.fname for entry in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                with contextlib.suppress(Exception):  # an unreadable file is skipped
                    font_manager.fontManager.addfont(path)
        family = _first_cjk_family()
    if family is not None:
        return family
    logger.warning(
        "No CJK font found (tried %s): Chinese chart labels cannot be drawn. Install "
        "fonts-noto-cjk or another Traditional Chinese font.",
        ", ".join(CJK_FAMILIES),
    )
    return None


def _families() -> list[str]:
    family = cjk_family()
    return [family, FALLBACK_FAMILY] if family else [FALLBACK_FAMILY]


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    kind: Literal["current", "previous", "target", "plain"] = "plain"


def _key(kind: str, output: Output, payload: Any) -> str:
    data = json.dumps([kind, output, _families(), payload], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def _settings() -> None:
    """Write the chart font settings to matplotlib's global ``rcParams`` before a figure is
    made (text properties are read from them when an artist is created). They change only when
    the CJK font found changes, that is once per process in practice."""
    global _settings_done
    families = _families()
    if _settings_done == families:
        return
    with _settings_lock:
        if _settings_done != families:
            matplotlib.rcParams.update(
                {"font.family": families, "font.size": 9, "svg.fonttype": "none"}
            )
            _settings_done = families


def warm_up() -> None:
    """Find the CJK font and draw one small chart, so that a process's first chart is quick
    (matplotlib reads its font list and opens the font file once)."""
    _settings()
    figure = Figure(figsize=(1, 1))
    figure.add_subplot().set_title("資安 0123")
    _render(figure, "svg", "warm-up")


class _SVGRenderer(RendererSVG):
    """The SVG renderer with this call's choices instead of the global ``rcParams``."""

    def __init__(self, *args: Any, as_paths: bool, salt: str, **kwargs: Any) -> None:
        self._finres_paths = as_paths
        self._finres_salt = salt
        cast(Any, super()).__init__(*args, **kwargs)  # matplotlib's renderers are untyped

    def _make_id(self, type: str, content: Any) -> str:
        # Stable ids, distinct between charts inlined in one page.
        digest = hashlib.sha256((self._finres_salt + str(content)).encode("utf-8"))
        return f"{type}{digest.hexdigest()[:10]}"

    def _draw_text_as_text(self, *args: Any, **kwargs: Any) -> None:
        if self._finres_paths:
            cast(Any, self)._draw_text_as_path(*args, **kwargs)
        else:
            cast(Any, super())._draw_text_as_text(*args, **kwargs)


class _SVGCanvas(FigureCanvasSVG):
    def __init__(self, figure: Figure, as_paths: bool, salt: str) -> None:
        super().__init__(figure)
        self._finres_paths = as_paths
        self._finres_salt = salt

    def print_svg(
        self,
        filename: Any,
        *,
        bbox_inches_restore: Any = None,
        metadata: Any = None,
        **_ignored: Any,  # what savefig passes to every print method (orientation …)
    ) -> None:
        # As FigureCanvasSVG.print_svg, with the renderer above (writes text to a buffer).
        dpi = self.figure.dpi
        self.figure.dpi = 72
        width, height = self.figure.get_size_inches()
        stream = io.TextIOWrapper(filename, encoding="utf-8", write_through=True)
        try:
            renderer = cast(Any, MixedModeRenderer)(
                self.figure,
                width,
                height,
                dpi,
                _SVGRenderer(
                    width * 72,
                    height * 72,
                    stream,
                    image_dpi=dpi,
                    metadata=metadata,
                    as_paths=self._finres_paths,
                    salt=self._finres_salt,
                ),
                bbox_inches_restore=bbox_inches_restore,
            )
            self.figure.draw(renderer)
            renderer.finalize()
        finally:
            stream.detach()  # the caller's buffer stays open


def _render(figure: Figure, output: Output, salt: str) -> str | bytes:
    buffer = io.BytesIO()
    if output == "png":
        FigureCanvasAgg(figure)
        figure.savefig(
            buffer, format="png", dpi=200, metadata={"Software": None}, bbox_inches="tight"
        )
        return buffer.getvalue()
    _SVGCanvas(figure, as_paths=output == "svg-paths", salt=salt)
    figure.savefig(
        buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight"
    )
    svg = buffer.getvalue().decode("utf-8")
    # Inline in HTML: no XML prolog, and the viewBox scales with the page.
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'(<svg[^>]*?)\swidth="[^"]+"\sheight="[^"]+"', r"\1", svg, count=1)
    if output == "svg":
        # Browsers without the server's CJK font fall back to the usual Chinese system fonts.
        svg = re.sub(r"font-family: ([^;\"]+)", rf"font-family: \1, {BROWSER_FALLBACK}", svg)
    return svg


def _cached(kind: str, output: Output, payload: Any, draw: Any) -> str | bytes:
    key = "finres-chart-" + _key(kind, output, payload)
    found = cache.get(key)
    if found is not None:
        return found
    _settings()
    rendered = _render(draw(), output, key[-16:])
    cache.set(key, rendered, CACHE_SECONDS)
    return rendered


def _share(count: int, total: int) -> float:
    return round(count / total * 100, 1) if total else 0.0


def _to_hundredths(series: Sequence[Series]) -> list[Series]:
    """Scores to a hundredth (a third of a point on a chart of five levels): a change no chart
    can show draws nothing again."""
    return [
        dataclasses.replace(
            item, values=[None if v is None else round(float(v), 2) for v in item.values]
        )
        for item in series
    ]


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _title(figure: Figure, title: str) -> None:
    if title:
        figure.suptitle(title, fontsize=11, color=INK)


# --- charts -------------------------------------------------------------------------------------


def radar(
    axes: Sequence[str],
    series: Sequence[Series],
    maximum: float = 5,
    title: str = "",
    output: Output = "svg",
) -> str | bytes:
    """A radar (spider) chart of scores between 0 and ``maximum``, one polygon per series."""
    series = _to_hundredths(series)
    payload = {
        "axes": list(axes),
        "series": [[s.label, list(s.values), s.kind] for s in series],
        "max": maximum,
        "title": title,
    }

    def draw() -> Figure:
        figure = Figure(figsize=(5.2, 4.6))
        _title(figure, title)
        ax = cast(PolarAxes, figure.add_subplot(projection="polar"))
        count = len(axes)
        angles = [2 * math.pi * i / count for i in range(count)]
        ax.set_theta_offset(math.pi / 2)
        ax.set_theta_direction(-1)
        ax.set_xticks(angles, list(axes), color=INK)
        ax.set_ylim(0, maximum)
        ax.set_yticks(range(1, int(maximum) + 1))
        ax.set_yticklabels([str(v) for v in range(1, int(maximum) + 1)], color=MUTED, fontsize=7)
        ax.grid(color=LINE)
        ax.spines["polar"].set_color(LINE)
        plain = 0
        for item in series:
            closed_angles = [*angles, angles[0]]
            values = [_nan(v) for v in item.values]
            closed = [*values, values[0]]
            if item.kind == "target":
                ax.plot(
                    closed_angles,
                    closed,
                    color=TARGET,
                    linestyle="--",
                    linewidth=1.5,
                    label=item.label,
                )
            elif item.kind == "previous":
                ax.plot(closed_angles, closed, color=PREVIOUS, linewidth=1.2, label=item.label)
                ax.fill(
                    closed_angles,
                    [0 if math.isnan(v) else v for v in closed],
                    color=PREVIOUS,
                    alpha=0.10,
                )
            else:
                colour = (
                    CURRENT
                    if item.kind == "current"
                    else SERIES_COLOURS[plain % len(SERIES_COLOURS)]
                )
                plain += item.kind == "plain"
                ax.plot(
                    closed_angles,
                    closed,
                    color=colour,
                    linewidth=2,
                    marker="o",
                    markersize=3,
                    label=item.label,
                )
                ax.fill(
                    closed_angles,
                    [0 if math.isnan(v) else v for v in closed],
                    color=colour,
                    alpha=0.18 if item.kind == "current" else 0.06,
                )
        if series:
            ax.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, -0.08),
                ncol=min(3, len(series)),
                frameon=False,
                fontsize=8,
            )
        figure.subplots_adjust(top=0.86 if title else 0.92, bottom=0.18)
        return figure

    return _cached("radar", output, payload, draw)


def trend(
    years: Sequence[int],
    series: Sequence[Series],
    maximum: float = 5,
    title: str = "",
    output: Output = "svg",
) -> str | bytes:
    """Scores per year, one line per series (a ``current`` series is drawn bold)."""
    series = _to_hundredths(series)
    payload = {
        "years": list(years),
        "series": [[s.label, list(s.values), s.kind] for s in series],
        "max": maximum,
        "title": title,
    }

    def draw() -> Figure:
        figure = Figure(figsize=(6.4, 3.4))
        _title(figure, title)
        ax = figure.add_subplot()
        ax.set_ylim(0, maximum)
        if years:
            ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
        ax.set_xticks(list(years), [str(y) for y in years])
        ax.set_yticks(range(0, int(maximum) + 1))
        ax.grid(axis="y", color=LINE)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for index, item in enumerate(series):
            bold = item.kind == "current"
            ax.plot(
                list(years),
                [_nan(v) for v in item.values],
                color=CURRENT if bold else SERIES_COLOURS[(index + 1) % len(SERIES_COLOURS)],
                linewidth=2.6 if bold else 1.2,
                marker="o",
                markersize=4 if bold else 3,
                label=item.label,
            )
        if series:
            ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=8)
        figure.subplots_adjust(left=0.07, right=0.74, top=0.86 if title else 0.95, bottom=0.12)
        return figure

    return _cached("trend", output, payload, draw)


def stacked_bars(
    labels: Sequence[str],
    segments: Sequence[tuple[str, str, Sequence[int]]],
    title: str = "",
    output: Output = "svg",
) -> str | bytes:
    """Horizontal bars, one per label, split into segments (key, legend label, counts).

    Each bar shows shares of its total, so frameworks of different sizes compare.
    """
    totals = [sum(seg[2][i] for seg in segments) for i in range(len(labels))]
    # Shares to a tenth of a percent (a third of a point on the bar): a change the bar cannot
    # show, one result among thousands, draws nothing again.
    shared = [
        (key, legend, [_share(c, t) for c, t in zip(counts, totals, strict=True)])
        for key, legend, counts in segments
    ]
    payload = {"labels": list(labels), "segments": shared, "title": title}

    def draw() -> Figure:
        height = 1.0 + 0.42 * max(1, len(labels))
        figure = Figure(figsize=(6.4, height))
        _title(figure, title)
        ax = figure.add_subplot()
        left = [0.0] * len(labels)
        positions = list(range(len(labels)))
        for key, legend, shares in shared:
            ax.barh(
                positions,
                shares,
                left=left,
                color=RESULT_COLOURS.get(key, MUTED),
                label=legend,
                height=0.6,
            )
            left = [a + b for a, b in zip(left, shares, strict=True)]
        ax.set_yticks(positions, [_shorten(label) for label in labels])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xticks(range(0, 101, 20), [f"{v}%" for v in range(0, 101, 20)])
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.12 * 3 / height), ncol=5, frameon=False
        )
        return figure

    return _cached("bars", output, payload, draw)


def _shorten(label: str, width: int = 18) -> str:
    """Keep long framework names readable: about ``width`` wide characters."""
    units = 0.0
    for index, char in enumerate(label):
        units += 1 if ord(char) > 0x2E80 else 0.55
        if units > width:
            return label[:index] + "…"
    return label
