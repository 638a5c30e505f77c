"""Server-side charts: one path (matplotlib, Agg) for web pages, Word documents and PDFs.

Each function returns the image as bytes, SVG (text kept as text, so pages stay searchable and crisp) or PNG
(for Word). matplotlib is used through `Figure` objects, never pyplot, so concurrent requests in threads do not
share state. Chinese labels need a CJK font: `cjk_font()` finds Noto Sans CJK SC or WenQuanYi, registers it by
path when matplotlib's font cache predates its installation, and raises `NoCJKFontError` rather than drawing boxes.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402 - after choosing the backend
from matplotlib.figure import Figure  # noqa: E402

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Source Han Sans SC")
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
FORMATS = ("svg", "png")
# rcParams are process-global and rc_context restores them on exit: two threads drawing at once would swap fonts
# under each other (a page loading two charts drew one with DejaVu Sans, i.e. boxes). One chart at a time.
_LOCK = threading.RLock()


class NoCJKFontError(RuntimeError):
    pass


def _installed(family: str) -> bool:
    try:
        font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        return True
    except ValueError:
        return False


@functools.cache
def cjk_font() -> str:
    """The CJK font family to draw with; registers known font files if the cache does not know them."""
    for family in CJK_FAMILIES:
        if _installed(family):
            return family
    for path in CJK_FONT_FILES:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
    for family in CJK_FAMILIES:
        if _installed(family):
            return family
    raise NoCJKFontError(
        "未找到中文字体，图表无法显示中文：请安装 fonts-noto-cjk 或 fonts-wqy-microhei。"
        " (No CJK font found: install fonts-noto-cjk or fonts-wqy-microhei.)"
    )


def _rc() -> dict:
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [cjk_font(), "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
        "svg.hashsalt": "wenming",  # stable ids: the same data gives the same bytes
        "font.size": 10,
    }


def _render(fig: Figure, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}; use one of {FORMATS}")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=150 if fmt == "png" else 72, bbox_inches="tight", metadata=_metadata(fmt))
    return buf.getvalue()


def _metadata(fmt: str) -> dict:
    return {"Date": None} if fmt == "svg" else {}


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _serialised(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _LOCK, matplotlib.rc_context(_rc()):
            return fn(*args, **kwargs)

    return wrapper


@_serialised
def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str = "",
    color: str = "#b81c22",
    fmt: str = "svg",
    horizontal: bool = False,
    value_label: str = "",
) -> bytes:
    """One series of bars, labelled with their values."""
    fig = _figure(7, max(2.5, 0.35 * len(labels) + 1) if horizontal else 3.5)
    ax = fig.add_subplot()
    positions = range(len(labels))
    bars = ax.barh(positions, values, color=color) if horizontal else ax.bar(positions, values, color=color)
    if horizontal:
        ax.set_yticks(list(positions), labels)
        ax.invert_yaxis()
        if value_label:
            ax.set_xlabel(value_label)
    else:
        ax.set_xticks(list(positions), labels, rotation=30 if len(labels) > 6 else 0, ha="right" if len(labels) > 6 else "center")
        if value_label:
            ax.set_ylabel(value_label)
    ax.bar_label(bars, fmt="%g")
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title)
    return _render(fig, fmt)


@_serialised
def stacked_status_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    colors: Mapping[str, str] | None = None,
    title: str = "",
    fmt: str = "svg",
) -> bytes:
    """Horizontal stacked bars: one bar per category (section, unit…), one segment per series (status)."""
    colors = colors or {}
    fig = _figure(7.5, max(2.5, 0.4 * len(categories) + 1.2))
    ax = fig.add_subplot()
    left = [0.0] * len(categories)
    positions = list(range(len(categories)))
    for name, values in series.items():
        if not any(values):
            continue
        ax.barh(positions, values, left=left, label=name, color=colors.get(name))
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(positions, categories)
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    ax.xaxis.get_major_locator().set_params(integer=True)
    if any(left):
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(6, len(series)), frameon=False)
    if title:
        ax.set_title(title, pad=28)
    return _render(fig, fmt)


@_serialised
def donut(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    colors: Sequence[str] | None = None,
    title: str = "",
    center_text: str = "",
    fmt: str = "svg",
) -> bytes:
    """A ring of shares with a legend ("label n"); zero shares are left out of the ring but kept in the legend."""
    fig = _figure(5, 3.2)
    ax = fig.add_subplot()
    shown = [(v, c) for v, c in zip(values, colors or [None] * len(values), strict=True) if v]
    if shown:
        wedges, _ = ax.pie(
            [v for v, _c in shown],
            colors=[c for _v, c in shown] if colors else None,
            startangle=90,
            counterclock=False,
            wedgeprops={"width": 0.38, "edgecolor": "white"},
        )
    else:
        ax.pie([1], colors=["#e2e8f0"], wedgeprops={"width": 0.38})
    ax.set_aspect("equal")
    if center_text:
        ax.text(0, 0, center_text, ha="center", va="center", fontsize=13, fontweight="bold")
    from matplotlib.patches import Patch

    handles = [Patch(color=c) for c in (colors or ["#999"] * len(labels))]
    ax.legend(
        handles,
        [f"{label} {value:g}" for label, value in zip(labels, values, strict=True)],
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
    )
    if title:
        ax.set_title(title)
    return _render(fig, fmt)


@_serialised
def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    colors: Mapping[str, str] | None = None,
    title: str = "",
    value_label: str = "",
    fmt: str = "svg",
) -> bytes:
    """Several series over the same labels (months…), one line each with its points marked; a legend on top."""
    colors = colors or {}
    fig = _figure(7.5, 3.5)
    ax = fig.add_subplot()
    positions = list(range(len(labels)))
    for name, values in series.items():
        ax.plot(positions, list(values), marker="o", label=name, color=colors.get(name))
    ax.set_xticks(positions, labels, rotation=30 if len(labels) > 8 else 0, ha="right" if len(labels) > 8 else "center")
    ax.set_ylim(bottom=0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    if value_label:
        ax.set_ylabel(value_label)
    if series:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(4, len(series)), frameon=False)
    if title:
        ax.set_title(title, pad=24)
    return _render(fig, fmt)
