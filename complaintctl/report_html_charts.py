"""The HTML report's charts: matplotlib (the optional `charts` extra) drawn to SVG for
inlining, text turned into paths so the page needs no font when it is opened.

Only `report_html` imports this module, and only when `report --html` runs: matplotlib
is slow to import and `complaintctl --help` must stay fast. Every word drawn comes in as
an argument (the labels live in `report_html.LABELS`).
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")  # no display, ever: the figures are only saved as SVG

from matplotlib import font_manager  # noqa: E402  (after choosing the backend)
from matplotlib.figure import Figure  # noqa: E402

# Fonts with Chinese glyphs, best first: Debian's fonts-wqy-zenhei (what CI installs) and
# fonts-noto-cjk, and what Windows and macOS ship. Latin text stays in DejaVu Sans (bundled
# with matplotlib); glyphs it lacks fall back to the first of these found.
CJK_FONTS = (
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "Noto Sans CJK JP",
)
# File names of those fonts, for a font installed after matplotlib cached its font list.
CJK_FILES = re.compile(
    r"wqy|notosanscjk|notosanssc|sourcehansans|msyh|simhei|pingfang|hiragino|droidsansfallback"
    r"|uming",
    re.I,
)
_CJK_TEXT = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
NO_CJK_FONT = (
    "no Chinese font found for the charts, so Chinese text in them shows as empty boxes; "
    "install one (Debian/Ubuntu: apt-get install fonts-wqy-zenhei) and run again"
)

COLORS = {
    "primary": "#2b6cb0",
    "secondary": "#dd6b20",
    "tertiary": "#2f855a",
    "muted": "#a0aec0",
    "bad": "#c53030",
    "text": "#1a202c",
    "grid": "#e2e8f0",
    "shade": "#d5dce6",
}
FULL_WIDTH = 7.0  # inches: the A4 text width (~180 mm) is the widest a chart is shown
HALF_WIDTH = 3.45


def find_cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in names:
            return name
    # matplotlib caches its list of fonts on first use; look for files added since.
    for path in font_manager.findSystemFonts():
        if CJK_FILES.search(path.replace("-", "").replace("_", "")):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


def has_cjk(texts: Sequence[str]) -> bool:
    """Whether any of these texts needs a Chinese (or other CJK) font."""
    return any(_CJK_TEXT.search(t) for t in texts)


class Charts:
    """Draws the report's charts with one set of style settings; `svg(...)` of each."""

    def __init__(self, cjk_font: str | None) -> None:
        families = ["DejaVu Sans", *([cjk_font] if cjk_font else [])]
        self.rc = {
            "svg.fonttype": "path",  # text as outlines: no font needed to view the page
            "svg.hashsalt": "complaintctl",  # the same report gives the same bytes
            "font.family": families,
            "font.size": 8,
            "axes.titlesize": 9,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.edgecolor": COLORS["muted"],
            "axes.labelcolor": COLORS["text"],
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.axisbelow": True,
            "grid.color": COLORS["grid"],
            "xtick.color": COLORS["text"],
            "ytick.color": COLORS["text"],
            "legend.frameon": True,
            "legend.framealpha": 0.9,
            "legend.edgecolor": "none",
            "legend.fontsize": 7,
            "figure.constrained_layout.use": True,
        }

    @contextmanager
    def _drawing(self) -> Iterator[None]:
        # Missing glyphs are reported once, by the caller; matplotlib's own per-glyph
        # warnings and font-weight notes would only repeat it on stderr.
        log = logging.getLogger("matplotlib.font_manager")
        level = log.level
        log.setLevel(logging.ERROR)
        try:
            with matplotlib.rc_context(self.rc), warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=r"(?s).*[Gg]lyph.*missing")
                yield
        finally:
            log.setLevel(level)

    def _svg(self, fig: Figure, chart_id: str, title: str) -> str:
        out = io.StringIO()
        # A fixed size (no tight bounding box): charts side by side are drawn at one
        # scale, and long labels shrink the plot rather than the text.
        fig.savefig(out, format="svg", metadata={"Date": None})
        return inline_svg(out.getvalue(), chart_id, title)

    def bars(
        self,
        chart_id: str,
        title: str,
        labels: Sequence[str],
        values: Sequence[float],
        *,
        ylabel: str = "",
        colors: Sequence[str] | None = None,
        legend: Sequence[tuple[str, str]] = (),
        shade: Sequence[int] = (),
        shade_label: str = "",
        wide: bool = False,
        rotate: bool = False,
    ) -> str:
        """Vertical bars with their values on top (when few); the bars at the positions
        in `shade` stand on a grey band (days the office is closed show even when no
        complaint arrived)."""
        with self._drawing():
            fig = Figure(figsize=(FULL_WIDTH if wide else HALF_WIDTH, 2.4))
            ax = fig.subplots()
            x = range(len(labels))
            for i, pos in enumerate(shade):
                ax.axvspan(
                    pos - 0.5,
                    pos + 0.5,
                    color=COLORS["shade"],
                    zorder=0,
                    label=shade_label if i == 0 else None,
                )
            bars = ax.bar(x, values, color=list(colors or [COLORS["primary"]] * len(values)))
            ax.set_xticks(list(x), list(labels), rotation=90 if rotate else 0)
            if rotate:
                ax.tick_params(axis="x", labelsize=6)
            ax.set_title(title)
            ax.set_ylabel(ylabel)
            ax.grid(axis="x", visible=False)
            ax.yaxis.get_major_locator().set_params(integer=True)
            if len(values) <= 16:
                ax.bar_label(bars, fmt="%g", fontsize=7, padding=1)
            ax.set_ylim(0, max([*values, 1]) * (1.4 if legend or shade else 1.15))
            for color, text in legend:
                ax.bar([0], [0], color=color, label=text)
            if legend or shade:  # in the headroom above the bars (see set_ylim)
                ax.legend(loc="upper left", ncols=len(legend) + bool(shade))
            return self._svg(fig, chart_id, title)

    def hbars(
        self,
        chart_id: str,
        title: str,
        labels: Sequence[str],
        values: Sequence[float | None],
        *,
        xlabel: str = "",
        xmax: float | None = None,
        suffix: str = "",
        none_text: str = "n/a",
    ) -> str:
        """Horizontal bars, first label on top, each with its value (or `none_text`)."""
        with self._drawing():
            height = max(1.2, 0.45 + 0.24 * len(labels))
            fig = Figure(figsize=(HALF_WIDTH, height))
            ax = fig.subplots()
            y = list(range(len(labels)))
            shown = [v or 0 for v in values]
            bars = ax.barh(y, shown, color=COLORS["primary"], height=0.6)
            ax.set_yticks(y, list(labels))
            ax.invert_yaxis()
            ax.set_title(title)
            ax.set_xlabel(xlabel)
            ax.grid(axis="y", visible=False)
            top = xmax if xmax is not None else max([*shown, 1]) * 1.2
            ax.set_xlim(0, top)
            if xmax is None:
                ax.xaxis.get_major_locator().set_params(integer=True)
            texts = [none_text if v is None else f"{v:g}{suffix}" for v in values]
            ax.bar_label(bars, labels=texts, fontsize=7, padding=2)
            return self._svg(fig, chart_id, title)

    def trend(
        self,
        chart_id: str,
        title: str,
        months: Sequence[str],
        received: Sequence[int],
        resolved: Sequence[int],
        scores: Sequence[float | None],
        *,
        labels: dict[str, str],
    ) -> str:
        """Received and resolved per month (bars, left axis) and the mean satisfaction
        score (line, right axis 1..5; a month without scores leaves a gap)."""
        with self._drawing():
            fig = Figure(figsize=(FULL_WIDTH, 2.6))
            ax = fig.subplots()
            x = list(range(len(months)))
            w = 0.38
            ax.bar(
                [i - w / 2 for i in x],
                received,
                w,
                color=COLORS["primary"],
                label=labels["received"],
            )
            ax.bar(
                [i + w / 2 for i in x],
                resolved,
                w,
                color=COLORS["tertiary"],
                label=labels["resolved"],
            )
            ax.set_xticks(x, list(months), fontsize=7)
            ax.set_title(title)
            ax.set_ylabel(labels["cases"])
            ax.grid(axis="x", visible=False)
            ax.yaxis.get_major_locator().set_params(integer=True)
            ax.set_ylim(0, max([*received, *resolved, 1]) * 1.35)  # room for the legend
            right = ax.twinx()
            right.spines["right"].set_visible(True)
            right.grid(False)
            right.plot(
                x,
                [float("nan") if s is None else s for s in scores],
                color=COLORS["secondary"],
                marker="o",
                markersize=3,
                label=labels["score"],
            )
            right.set_ylim(0.8, 6.2)  # the scale ends at 5; above it, the legend
            right.set_yticks([1, 2, 3, 4, 5])
            right.set_ylabel(labels["score_axis"])
            handles = [*ax.get_legend_handles_labels()[0], *right.get_legend_handles_labels()[0]]
            ax.legend(handles=handles, loc="upper left", ncols=3)
            return self._svg(fig, chart_id, title)


_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: str, chart_id: str, title: str) -> str:
    """matplotlib's SVG document as an element to put in HTML: no XML prolog or metadata,
    scaled by CSS (viewBox kept), a title for screen readers, and every id prefixed with
    the chart's id so that two charts on one page never share one (a shared clip path
    would clip one chart with the other's rectangle)."""
    from html import escape

    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"(?s)<metadata>.*?</metadata>\s*", "", svg, count=1)
    # matplotlib's `*{stroke-linejoin...}` would style the whole page; the page's CSS
    # sets the same for its charts.
    svg = re.sub(r'(?s)<style type="text/css">.*?</style>\s*', "", svg)
    ids = set(_ID.findall(svg))

    def prefixed(m: re.Match) -> str:
        name = m.group(2)
        return f"{m.group(1)}{chart_id}-{name}" if name in ids else m.group(0)

    svg = re.sub(r'(\bid=")([^"]+)', prefixed, svg)
    svg = re.sub(r'(href="#)([^"]+)', prefixed, svg)
    svg = re.sub(r"(url\(#)([^)]+)", prefixed, svg)
    svg = re.sub(
        r'<svg ([^>]*?)\swidth="[^"]*" height="[^"]*"',
        lambda m: f'<svg {m.group(1)} class="chart" role="img" aria-labelledby="{chart_id}-title"',
        svg,
        count=1,
    )
    head_end = svg.index(">") + 1
    return f'{svg[:head_end]}\n<title id="{chart_id}-title">{escape(title)}</title>{svg[head_end:]}'
