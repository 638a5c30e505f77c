"""Charts render with Chinese labels as real glyphs: text in SVG, no missing-glyph warnings."""

from __future__ import annotations

import warnings

import pytest

from wenming.core import charts


@pytest.fixture(autouse=True)
def _glyph_warnings_are_errors():
    # matplotlib warns "Glyph … missing from font(s)" when it would draw boxes
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        yield


def test_cjk_font_found():
    assert "CJK" in charts.cjk_font() or "WenQuanYi" in charts.cjk_font()


def test_donut_svg_keeps_chinese_text():
    svg = charts.donut(["已达标", "滞后", "逾期"], [3, 0, 2], colors=["#1a7f37", "#b7791f", "#c53030"], center_text="5 项")
    text = svg.decode()
    assert text.startswith("<?xml") and "<svg" in text
    for label in ["已达标 3", "滞后 0", "逾期 2", "5 项"]:
        assert label in text
    assert charts.cjk_font() in text


def test_stacked_status_chart_and_bar_chart():
    svg = charts.stacked_status_chart(
        ["二、深入推进十大文明行动", "三、实施全域创建"], {"正常": [2, 1], "未报送": [0, 3]}, title="各部分目标状态"
    ).decode()
    assert "各部分目标状态" in svg and "二、深入推进十大文明行动" in svg and "未报送" in svg
    svg = charts.bar_chart(["市城管局", "市交通运输局"], [3, 1], title="滞后目标数", horizontal=True).decode()
    assert "市交通运输局" in svg


def test_png_output_for_documents():
    png = charts.bar_chart(["公共厕所"], [230], title="新建改造公共厕所（座）", fmt="png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_same_data_same_bytes():
    assert charts.donut(["正常"], [1]) == charts.donut(["正常"], [1])


def test_unknown_format():
    with pytest.raises(ValueError):
        charts.bar_chart(["a"], [1], fmt="gif")


def test_no_cjk_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font",))
    monkeypatch.setattr(charts, "CJK_FONT_FILES", ())
    charts.cjk_font.cache_clear()
    try:
        with pytest.raises(charts.NoCJKFontError, match="未找到中文字体"):
            charts.cjk_font()
    finally:
        monkeypatch.undo()
        charts.cjk_font.cache_clear()


def test_concurrent_charts_keep_the_cjk_font():
    """A page loads several charts at once; each must still be drawn with the CJK font (rcParams are global)."""
    from concurrent.futures import ThreadPoolExecutor

    def draw(i):
        if i % 2:
            return charts.donut(["已达标", "滞后"], [i, 1]).decode()
        return charts.stacked_status_chart(["市城管局"], {"滞后": [i]}).decode()

    with ThreadPoolExecutor(max_workers=6) as pool:
        outputs = list(pool.map(draw, range(12)))
    assert all(f"font-family: '{charts.cjk_font()}'" in svg for svg in outputs)
