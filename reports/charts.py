"""Report charts as PNG drawn with a CJK font (中文图表), embedded as base64 data URIs.

Matplotlib's default DejaVu Sans has no Chinese glyphs and draws boxes (豆腐块). The
charts use a CJK font found through :mod:`matplotlib.font_manager` (Noto Sans CJK from
Debian's ``fonts-noto-cjk`` first); the file used is recorded so reports and tests can
say which font drew the text. Figures are drawn with the object API (no pyplot global
state), so report jobs are safe to run side by side.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["ChartFont", "bar_chart", "cjk_font", "data_uri"]

#: Font families tried in order (first one installed wins).
PREFERRED = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)


@dataclass(frozen=True)
class ChartFont:
    """The font charts are drawn with: family name and font file."""

    family: str
    path: str


@lru_cache(maxsize=1)
def cjk_font() -> ChartFont | None:
    """The first installed CJK font (``None`` when the system has none).

    Examples
    --------
    >>> f = cjk_font()
    >>> f is None or f.path.endswith((".ttc", ".ttf", ".otf"))
    True
    """
    by_name: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        by_name.setdefault(entry.name, entry.fname)
    for family in PREFERRED:
        if family in by_name:
            return ChartFont(family, by_name[family])
    for name, path in sorted(by_name.items()):
        if "CJK" in name and "Mono" not in name:
            return ChartFont(name, path)
    return None


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,…`` for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def bar_chart(  # noqa: PLR0913 (chart options, all keyword-only with defaults)
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    ylabel: str,
    font: ChartFont | None = None,
    percent: bool = False,
    reference: tuple[float, str] | None = None,
    labels: bool | None = None,
    width_in: float = 8.0,
    height_in: float = 4.2,
) -> bytes:
    """A grouped bar chart as PNG bytes.

    Parameters
    ----------
    categories
        Bar group labels (Chinese welcome).
    series
        Legend label → one value per category (NaN draws no bar).
    title, ylabel
        Chart title and y-axis label.
    font
        Font to draw with (default :func:`cjk_font`; DejaVu Sans when none).
    percent
        Values are fractions: label the axis and bars in %.
    reference
        A horizontal reference line (value, label), e.g. the 45% target.
    labels
        Write each bar's value above it (default: only for a single series).
    """
    font = font if font is not None else cjk_font()
    props = (
        font_manager.FontProperties(fname=font.path)
        if font
        else font_manager.FontProperties(family="DejaVu Sans")
    )
    fig = Figure(figsize=(width_in, height_in), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    n = max(len(series), 1)
    width = 0.8 / n
    xs = list(range(len(categories)))
    scale = 100.0 if percent else 1.0
    for k, (label, values) in enumerate(series.items()):
        pos = [x - 0.4 + width * (k + 0.5) for x in xs]
        vals = [float(v) * scale if v is not None else float("nan") for v in values]
        bars = ax.bar(pos, vals, width=width * 0.95, label=label)
        for bar, v in zip(bars, vals, strict=True):
            if (labels if labels is not None else len(series) == 1) and v == v:  # not NaN
                ax.annotate(
                    f"{v:.1f}{'%' if percent else ''}",
                    (bar.get_x() + bar.get_width() / 2, v),
                    ha="center",
                    va="bottom" if v >= 0 else "top",
                    fontsize=7,
                    fontproperties=props,
                )
    if reference is not None:
        ax.axhline(reference[0] * scale, color="#c0392b", linestyle="--", linewidth=1)
        ax.annotate(
            reference[1],
            (len(categories) - 0.5, reference[0] * scale),
            ha="right",
            va="bottom",
            color="#c0392b",
            fontproperties=props,
            fontsize=8,
        )
    ax.axhline(0, color="#555555", linewidth=0.6)
    ax.set_xticks(xs)
    ax.set_xticklabels(list(categories), fontproperties=props, fontsize=8, rotation=20, ha="right")
    ax.set_ylabel(ylabel + (" (%)" if percent else ""), fontproperties=props)
    ax.set_title(title, fontproperties=props, fontsize=11)
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    for tick in ax.get_yticklabels():
        tick.set_fontproperties(props)
    if len(series) > 1:
        ax.legend(prop=props, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
