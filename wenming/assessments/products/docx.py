"""Snapshot → Word document in the official document layout of GB/T 9704-2012 《党政机关公文格式》.

What the standard fixes and where it is done here:
- A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (§5.2.1 版心 156 mm × 225 mm) — `_page`.
- 发文机关标志 in red 小标宋, 发文字号 (e.g. 株文明办〔2026〕12号) centred under it, then a red separator line
  as wide as the type area (§7.2) — `_masthead`.
- Title in 小标宋 二号 (22 pt), centred (§7.3.1); body in 仿宋_GB2312 三号 (16 pt), 2-character first-line indent,
  fixed 28 pt line pitch (22 lines of 28 characters a page, §5.2.2); level-1 headings 黑体, level-2 楷体 (§7.3.3).
- 落款: issuer and date in Arabic numerals, right-aligned (§7.3.5).
- Page numbers "— 1 —" in 宋体 四号 (14 pt), odd pages right, even pages left, one character in (§7.5) —
  `_page_numbers` with separate odd/even footers.

Chinese fonts: Word only applies a Chinese face from the run's East-Asian slot, and the default template's theme
fonts override it; `_font` sets the slot and strips the theme attributes (see reference/toolbox.md).
Charts are PNGs from the one chart path (`figures.render`), embedded inline.
"""

from __future__ import annotations

import io

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from . import figures

TITLE_FONT = "方正小标宋简体"  # 小标宋
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
PAGE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
TITLE_SIZE = Pt(22)  # 二号
BODY_SIZE = Pt(16)  # 三号
PAGE_SIZE = Pt(14)  # 四号
TABLE_SIZE = Pt(10.5)  # 五号: wide metric tables still fit the 156 mm type area
LINE_PITCH = Pt(28)
RED = RGBColor(0xE0, 0x00, 0x00)
THEME_ATTRS = ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme")
TYPE_AREA_MM = 156


def _font(element, east_asia: str, *, latin: str = LATIN_FONT) -> None:
    """Set the East-Asian (and Latin) font slots on a run or style element and drop the theme fonts."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in THEME_ATTRS:
        key = qn(attr)
        if key in fonts.attrib:
            del fonts.attrib[key]
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)


def _run(paragraph, text: str, font: str, size, *, bold: bool = False, color: RGBColor | None = None, latin=None):
    run = paragraph.add_run(text)
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    _font(run._element, font, latin=latin or LATIN_FONT)
    return run


def _strip_theme_defaults(doc) -> None:
    """The template's document defaults name theme fonts (minorEastAsia …); they would win over our styles."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is None:
        return
    for fonts in defaults.iter(qn("w:rFonts")):
        for attr in THEME_ATTRS:
            key = qn(attr)
            if key in fonts.attrib:
                del fonts.attrib[key]
        fonts.set(qn("w:eastAsia"), BODY_FONT)
        fonts.set(qn("w:ascii"), LATIN_FONT)
        fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _styles(doc):
    _strip_theme_defaults(doc)
    normal = doc.styles["Normal"]
    normal.font.size = BODY_SIZE
    _font(normal.element, BODY_FONT)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE_PITCH
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.first_line_indent = Pt(32)  # two characters of 三号
    pf.widow_control = False
    cell = doc.styles.add_style("WMTableText", 1)
    cell.base_style = normal
    cell.font.size = TABLE_SIZE
    _font(cell.element, BODY_FONT)
    cpf = cell.paragraph_format
    cpf.first_line_indent = Pt(0)
    cpf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    cpf.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return cell


def _page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    # The page number's 一字线 sits 7 mm below the type area (GB/T 9704 §7.5): 35 − 7 − one 四号 line ≈ 23 mm.
    section.footer_distance = Mm(23)
    section.header_distance = Mm(15)


def _field(paragraph, instruction: str, font: str, size) -> None:
    """A Word field (PAGE) as begin/instr/separate/cached value/end runs."""
    def part(tag, **attrs):
        run = _run(paragraph, "", font, size)
        el = OxmlElement(tag)
        for k, v in attrs.items():
            el.set(qn(k), v)
        run._element.append(el)
        return run, el

    part("w:fldChar", **{"w:fldCharType": "begin"})
    _run_instr, instr = part("w:instrText", **{"xml:space": "preserve"})
    instr.text = f" {instruction} "
    part("w:fldChar", **{"w:fldCharType": "separate"})
    _run(paragraph, "1", font, size)
    part("w:fldChar", **{"w:fldCharType": "end"})


def _page_numbers(doc) -> None:
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        p.alignment = align
        p.paragraph_format.first_line_indent = Pt(0)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        # 单页码居右空一字，双页码居左空一字 (one 四号 character in from the edge of the type area).
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = PAGE_SIZE
        else:
            p.paragraph_format.left_indent = PAGE_SIZE
        _run(p, "— ", PAGE_FONT, PAGE_SIZE, latin=PAGE_FONT)
        _field(p, "PAGE", PAGE_FONT, PAGE_SIZE)
        _run(p, " —", PAGE_FONT, PAGE_SIZE, latin=PAGE_FONT)


def _centered(doc, *, indent=False):
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if not indent:
        p.paragraph_format.first_line_indent = Pt(0)
    return p


def _red_rule(paragraph) -> None:
    """The red separator line under the 发文字号, as wide as the type area (a bottom border of the paragraph)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "12"), ("w:space", "8"), ("w:color", "E00000")):
        bottom.set(qn(k), v)
    borders.append(bottom)
    ppr.append(borders)


def _masthead(doc, snapshot: dict) -> None:
    document = snapshot.get("document") or {}
    p = _centered(doc)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.paragraph_format.space_before = Pt(12)
    _run(p, snapshot.get("issuer", ""), TITLE_FONT, Pt(26), color=RED, latin=TITLE_FONT)
    doc.add_paragraph()
    number = _centered(doc)
    _run(number, document.get("number") or _("（送审稿，发布时编号）"), BODY_FONT, BODY_SIZE)
    _red_rule(number)
    doc.add_paragraph()


def _title(doc, snapshot: dict) -> None:
    p = _centered(doc)
    p.paragraph_format.line_spacing = Pt(35)  # 二号 needs more than the body's 28 pt pitch
    _run(p, snapshot.get("title", ""), TITLE_FONT, TITLE_SIZE, latin=TITLE_FONT)
    doc.add_paragraph()


def _correction(doc, snapshot: dict, cell_style) -> None:
    corr = snapshot.get("correction")
    if not corr:
        return
    p = doc.add_paragraph()
    _run(p, _("更正说明："), H2_FONT, BODY_SIZE)
    _run(p, _("本版为第%(v)s版，更正%(d)s第%(o)s版。%(note)s") % {
        "v": corr.get("version"), "d": corr.get("of_date", ""), "o": corr.get("of_version"),
        "note": corr.get("note", "")}, BODY_FONT, BODY_SIZE)
    changes = corr.get("changes") or []
    if changes:
        _table(doc, {"title": _("更正前后数据对照"), "columns": [_("项目"), _("原数据"), _("更正后")], "rows": changes},
               cell_style)


# A portrait A4 type area (156 mm) holds about nine readable columns at 五号; wider tables (the unit metric table
# has 17) keep their key columns in Word and say that the workbook has them all.
DOCX_MAX_COLUMNS = 9
KEY_COLUMNS = ("立案数", "结案率", "按期处置率", "满意率", "得分率", "综合指标值", "综合得分", "等级", "得分")


def _compact(columns: list, rows: list) -> tuple[list, list, bool]:
    if len(columns) <= DOCX_MAX_COLUMNS:
        return columns, rows, False
    keep = [0, 1] + [i for i, c in enumerate(columns) if i > 1 and str(c).startswith(KEY_COLUMNS)]
    keep = keep[:DOCX_MAX_COLUMNS]
    return [columns[i] for i in keep], [[r[i] for i in keep if i < len(r)] for r in rows], True


def _table(doc, block: dict, cell_style) -> None:
    caption = _centered(doc)
    _run(caption, block.get("title", ""), H1_FONT, Pt(14))
    columns, rows, compacted = _compact(block["columns"], block["rows"])
    tbl = doc.add_table(rows=len(rows) + 1, cols=len(columns))
    tbl.style = doc.styles["Table Grid"]
    tbl.alignment = WD_TABLE_ALIGNMENT.CENTER
    all_rows = tbl.rows
    for row_obj, values, header in [(all_rows[0], columns, True)] + [
        (all_rows[i + 1], r, False) for i, r in enumerate(rows)
    ]:
        for cell, value in zip(row_obj.cells, values, strict=False):
            p = cell.paragraphs[0]
            p.style = cell_style
            run = p.add_run(figures.cell_text(value))
            if header:
                run.font.bold = True
    _repeat_header(all_rows[0])
    if compacted:
        _run(_centered(doc), _("（正文列出主要指标，完整数据见同期 Excel 工作簿“%(sheet)s”表。）")
             % {"sheet": block.get("sheet") or block.get("title", "")}, BODY_FONT, Pt(12))
    if block.get("note"):
        doc.add_paragraph(block["note"])
    doc.add_paragraph()


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _picture(doc, data: bytes, width_mm: float, caption: str) -> None:
    p = _centered(doc)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.add_run().add_picture(io.BytesIO(data), width=Mm(width_mm))
    c = _centered(doc)
    _run(c, caption, BODY_FONT, Pt(12))


def render_docx(snapshot: dict) -> bytes:
    """The Word document of a snapshot (reads nothing else but photo copies the snapshot names)."""
    doc = Document()
    cell_style = _styles(doc)
    _page(doc)
    _page_numbers(doc)
    doc.core_properties.title = snapshot.get("title", "")
    doc.core_properties.author = snapshot.get("issuer", "")
    _masthead(doc, snapshot)
    _title(doc, snapshot)
    _correction(doc, snapshot, cell_style)
    figure_no = 0
    for block in snapshot.get("blocks", []):
        kind = block["type"]
        if kind == "heading":
            p = doc.add_paragraph()
            _run(p, block["text"], H1_FONT if block.get("level", 1) == 1 else H2_FONT, BODY_SIZE)
        elif kind == "paragraph":
            doc.add_paragraph(block["text"])
        elif kind == "table":
            _table(doc, block, cell_style)
        elif kind == "chart":
            figure_no += 1
            _picture(doc, figures.render(block, "png"), TYPE_AREA_MM - 6, _("图%(n)s　%(t)s") % {
                "n": figure_no, "t": block.get("title", "")})
        elif kind == "photos":
            for item in block.get("items", []):
                try:
                    with default_storage.open(item["path"], "rb") as fh:
                        data = fh.read()
                except OSError:
                    continue
                figure_no += 1
                _picture(doc, data, 100, _("图%(n)s　%(t)s") % {"n": figure_no, "t": item.get("caption", "")})
    _signature(doc, snapshot)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _signature(doc, snapshot: dict) -> None:
    document = snapshot.get("document") or {}
    doc.add_paragraph()
    for text in (snapshot.get("issuer", ""), document.get("date_text") or _("（发布日期）")):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.first_line_indent = Pt(0)
        p.paragraph_format.right_indent = Pt(64)  # 右空四字 (GB/T 9704 §7.3.5.2)
        _run(p, text, BODY_FONT, BODY_SIZE)
