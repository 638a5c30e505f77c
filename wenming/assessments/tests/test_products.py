"""Periodic products (seed §38/§41): what the Word and Excel files hold (read back), the lifecycle, the frozen
snapshot after publishing, corrections, concurrent generation, bad periods, the shell command and the schedule."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from docx.shared import Pt
from openpyxl import load_workbook

from wenming.assessments.models import FrozenProductError, JobState, Product, ProductStatus
from wenming.assessments.periods import Period
from wenming.assessments.products import services
from wenming.assessments.products.periods import PeriodError, parse_period
from wenming.core import clock

from .conftest import at
from .product_data import Field

NOW = at(2019, 11, 20, 10)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture
def week42(town):
    """Week 42 of 2019 (14–20 October): two points observed (荷塘 fails one item, with a photo), four cases."""
    field = Field(town)
    town.field = field
    town.p_hetang = field.point("荷塘农贸市场", town.hetang)
    town.p_lusong = field.point("芦淞农贸市场", town.lusong)
    field.observe(town.p_hetang, at(2019, 10, 15, 10), (6, 1), photo=True)  # 7/10
    field.observe(town.p_lusong, at(2019, 10, 16, 10), (6, 4))  # 10/10
    for i in range(4):
        case = town.dispatched(at(2019, 10, 14, 10), district=town.hetang if i % 2 else town.lusong)
        town.closed(case, at(2019, 10, 16, 10))
    return town


def generate(kind, period):
    with clock.frozen(NOW):
        return services.generate_now(kind=kind, period=period)


def read_docx(product):
    with product.docx.open("rb") as fh:
        return Document(io.BytesIO(fh.read()))


def read_xlsx(product):
    with product.xlsx.open("rb") as fh:
        return load_workbook(io.BytesIO(fh.read()))


def table_by_caption(doc, caption):
    """The table that follows the paragraph holding `caption`."""
    body = doc.element.body
    found = False
    for el in body.iterchildren():
        if el.tag == f"{W}p" and caption in "".join(t.text or "" for t in el.iter(f"{W}t")):
            found = True
        elif found and el.tag == f"{W}tbl":
            rows = []
            for tr in el.iter(f"{W}tr"):
                rows.append(["".join(t.text or "" for t in tc.iter(f"{W}t")) for tc in tr.iter(f"{W}tc")])
            return rows
    raise AssertionError(f"no table after {caption!r}")


# --- periods ----------------------------------------------------------------------------------------------------


def test_periods_of_each_kind():
    assert parse_period("weekly", "2026-W47") == Period(dt.date(2026, 11, 16), dt.date(2026, 11, 23), "week")
    assert parse_period("monthly", "2026-11").code == "2026-11"
    assert parse_period("quarterly", "2026-q3").code == "2026-Q3"
    assert parse_period("annual", "2026").end == dt.date(2027, 1, 1)
    assert parse_period("weekly", "2020-W53").start == dt.date(2020, 12, 28)  # 2020 has an ISO week 53


@pytest.mark.parametrize("kind,text", [
    ("weekly", "2026-47"), ("weekly", "2019-W53"), ("weekly", "2026-W00"), ("monthly", "2026-13"),
    ("monthly", "2026-Q3"), ("quarterly", "2026-Q5"), ("annual", "26"), ("annual", "二〇二六"), ("monthly", ""),
])
def test_bad_period_strings_get_a_chinese_error(kind, text):
    with pytest.raises(PeriodError) as err:
        parse_period(kind, text)
    assert "周期格式不正确" in str(err.value)


def test_unknown_kind():
    with pytest.raises(PeriodError, match="没有这种考评产品"):
        parse_period("daily", "2026-11-01")


# --- the weekly observation, read back ----------------------------------------------------------------------------


def test_weekly_docx_and_xlsx_hold_the_weeks_figures(week42):
    product = generate("weekly", "2019-W42")
    assert product.job_state == JobState.DONE and product.progress == 100 and product.status == ProductStatus.DRAFT
    doc = read_docx(product)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "株洲市文明城市创建工作周观察（2019年第42周）" in text
    for heading in ("一、本周总体情况", "二、区县排名", "三、得分率最低的点位"):
        assert heading in text
    # 荷塘 7/10 = 70.00%, 芦淞 10/10 = 100.00%: 芦淞 ranks first.
    rows = table_by_caption(doc, "各区县本周测评得分率与案件办理情况")
    assert rows[0][:3] == ["排名", "区县", "测评得分率(%)"]
    assert rows[1][:3] == ["1", "芦淞区", "100.00"] and rows[2][:3] == ["2", "荷塘区", "70.00"]
    worst = table_by_caption(doc, "本周得分率最低的点位")
    assert worst[1][1] == "荷塘农贸市场" and worst[1][5] == "70.00" and worst[1][7] == "1"
    # Figures: district chart, worst-point chart and the one failing item's photo, all inline pictures.
    assert len(doc.inline_shapes) == 3
    assert "本周共对 2 个点位开展实地测评，测评 4 条，不达标 1 条，总体得分率 85.00%" in text
    assert "本周负面清单平台立案 4 件" in text

    wb = read_xlsx(product)
    assert wb.sheetnames[:2] == ["概况", "区县排名"]
    sheet = wb["区县排名"]
    assert [c.value for c in sheet[2]][:3] == [1, "芦淞区", 100.0]
    assert [c.value for c in sheet[3]][:3] == [2, "荷塘区", 70.0]
    headline = {r[0].value: r[1].value for r in wb["概况"].iter_rows() if r[0].value}
    assert headline["测评得分率(%)"] == 85.0 and headline["立案数"] == 4 and headline["不达标条目数"] == 1


def test_docx_follows_gb_t_9704(week42):
    doc = read_docx(generate("weekly", "2019-W42"))
    section = doc.sections[0]
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.mm, 1) for m in margins] == [37, 35, 28, 26]  # stored in twips
    assert [round(section.page_width.mm), round(section.page_height.mm)] == [210, 297]
    normal = doc.styles["Normal"]
    fonts = normal.element.rPr.rFonts
    assert fonts.get(f"{W}eastAsia") == "仿宋_GB2312" and normal.font.size == Pt(16)
    assert fonts.get(f"{W}eastAsiaTheme") is None  # the theme would override the East-Asian slot
    title = next(p for p in doc.paragraphs if "周观察" in p.text)
    run = title.runs[0]
    assert run.font.size == Pt(22) and run._element.rPr.rFonts.get(f"{W}eastAsia") == "方正小标宋简体"
    assert any(p.text == "株洲市精神文明建设指导委员会办公室" for p in doc.paragraphs)  # 发文机关标志
    # Page numbers "— 1 —" in 宋体 四号, odd pages right, even pages left.
    assert doc.settings.odd_and_even_pages_header_footer
    for footer in (section.footer, section.even_page_footer):
        xml = footer._element.xml
        assert "PAGE" in xml and "— " in xml and " —" in xml
        assert footer.paragraphs[0].runs[0].font.size == Pt(14)
        assert footer.paragraphs[0].runs[0]._element.rPr.rFonts.get(f"{W}eastAsia") == "宋体"


# --- lifecycle and the frozen snapshot ----------------------------------------------------------------------------


def publish(product, user):
    with clock.frozen(NOW):
        services.product_submit(product=product, by=user)
        return services.product_publish(product=product, by=user)


def test_publish_numbers_and_freezes(week42, client):
    product = generate("weekly", "2019-W42")
    published = publish(product, week42.office)
    assert published.status == ProductStatus.PUBLISHED
    assert published.document_number == "株文明办〔2019〕1号"
    assert published.snapshot["document"]["date_text"] == "2019年11月20日"
    doc = read_docx(published)
    assert any(p.text == "株文明办〔2019〕1号" for p in doc.paragraphs)
    assert any(p.text == "2019年11月20日" for p in doc.paragraphs)

    client.force_login(week42.office)
    page = client.get(f"/assessments/products/{published.pk}/").content.decode()
    docx_before, xlsx_before = published.docx.open("rb").read(), published.xlsx.open("rb").read()
    article = re.search(r'<article id="product".*?</article>', page, re.S).group(0)
    assert "荷塘农贸市场" in article and "70.00" in article

    # Later data: more cases in the week and a perfect re-score of the failing point.
    for _i in range(3):
        week42.closed(week42.dispatched(at(2019, 10, 15, 9), district=week42.hetang), at(2019, 10, 17, 9))
    week42.field.observe(week42.field.point("新点位", week42.hetang), at(2019, 10, 17, 10), (0, 0))

    with clock.frozen(NOW), pytest.raises(services.ProductFrozen) as refused:
        services.generate_now(kind="weekly", period="2019-W42")
    assert "已发布，不能重新生成" in refused.value.message and "更正版本" in refused.value.message
    published.refresh_from_db()
    page_after = client.get(f"/assessments/products/{published.pk}/").content.decode()
    assert re.search(r'<article id="product".*?</article>', page_after, re.S).group(0) == article
    assert published.docx.open("rb").read() == docx_before
    assert published.xlsx.open("rb").read() == xlsx_before
    with pytest.raises(FrozenProductError):
        published.title = "改"
        published.save()

    # A correction is version 2 and says what changed.
    with clock.frozen(at(2019, 11, 21, 9)):
        correction = services.correction_request(product=published, note="补录10月15日至17日案件和测评记录", by=week42.office)
    correction.refresh_from_db()
    assert correction.version == 2 and correction.correction_of == published
    corr = correction.snapshot["correction"]
    assert corr["of_version"] == 1 and corr["note"].startswith("补录")
    assert ["立案数", 4, 7] in corr["changes"]
    doc2 = read_docx(correction)
    text = "\n".join(p.text for p in doc2.paragraphs)
    assert "本版为第2版，更正2019年11月20日第1版" in text
    assert Product.objects.get(pk=published.pk).snapshot == published.snapshot  # version 1 untouched


def test_correction_needs_a_note_and_a_published_product(week42):
    product = generate("weekly", "2019-W42")
    with pytest.raises(services.ProductError, match="只有已发布的产品"):
        services.correction_claim(product=product, note="x")
    published = publish(product, week42.office)
    with pytest.raises(services.ProductError, match="请填写更正说明"):
        services.correction_claim(product=published, note="  ")


def test_publish_requires_review_and_numbers_increase(week42):
    first = generate("weekly", "2019-W42")
    with pytest.raises(services.ProductError, match="请先送审"):
        services.product_publish(product=first, by=week42.office)
    assert publish(first, week42.office).document_number.endswith("〔2019〕1号")
    second = generate("weekly", "2019-W43")
    assert publish(second, week42.office).document_number.endswith("〔2019〕2号")


def test_regenerating_a_draft_in_review_returns_it_to_draft(week42):
    product = generate("weekly", "2019-W42")
    with clock.frozen(NOW):
        services.product_submit(product=product, by=week42.office)
    again = generate("weekly", "2019-W42")
    assert again.pk == product.pk and again.status == ProductStatus.DRAFT and again.version == 1


# --- two generations at once ----------------------------------------------------------------------------------


def test_second_generation_is_refused_while_the_first_runs(week42):
    with clock.frozen(NOW):
        product, token = services.generation_claim(kind="weekly", period="2019-W42")
        with pytest.raises(services.ProductBusy) as busy:
            services.generation_claim(kind="weekly", period="2019-W42")
        assert "正在生成中" in busy.value.message
        assert services.generation_run(product.pk, token) is not None
        # The job is done: the next generation may claim it, and the old token can write nothing any more.
        product2, token2 = services.generation_claim(kind="weekly", period="2019-W42")
        assert services.generation_run(product.pk, token) is None
        assert services.generation_run(product2.pk, token2).job_state == JobState.DONE
    assert Product.objects.count() == 1


def test_a_superseded_job_writes_nothing(week42):
    with clock.frozen(NOW):
        product, old = services.generation_claim(kind="weekly", period="2019-W42")
    Product.objects.filter(pk=product.pk).update(updated_at=NOW - dt.timedelta(hours=2))  # the first worker died
    with clock.frozen(NOW):
        _same, new = services.generation_claim(kind="weekly", period="2019-W42")  # stale: may be taken over
        assert services.generation_run(product.pk, old) is None
        assert services.generation_run(product.pk, new).job_token == new


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_threads_claiming_at_once_one_wins(town):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")

    def claim(_i):
        try:
            return services.generation_claim(kind="monthly", period="2019-10")[0].pk
        except services.ProductBusy:
            return "busy"
        finally:
            connection.close()

    # The clock is frozen once around the threads: freezing inside each thread would race on the one shared
    # clock and let a thread see the real "now" (and take over a "stale" job).
    with clock.frozen(NOW), ThreadPoolExecutor(4) as pool:
        results = list(pool.map(claim, range(4)))
    assert results.count("busy") == 3 and Product.objects.count() == 1


# --- the other kinds ------------------------------------------------------------------------------------------


def test_monthly_analysis_tables_match_the_database(week42):
    from wenming.assessments import metrics

    product = generate("monthly", "2019-10")
    doc = read_docx(product)
    text = "\n".join(p.text for p in doc.paragraphs)
    for heading in ("二、变化趋势", "三、突出问题类别和地点", "四、责任单位案件办理指标", "五、目标任务进度"):
        assert heading in text
    categories = table_by_caption(doc, "立案数最多的问题类别")
    assert categories[1][1:3] == ["占道经营", "4"]
    units = table_by_caption(doc, "责任单位案件办理指标")
    with clock.frozen(NOW):
        row = next(r for r in metrics.metric_rows(Period.month(2019, 10)) if r.name == "市城管局")
    got = next(r for r in units if r[1] == "市城管局")
    column = {name: i for i, name in enumerate(units[0])}
    closure = next(i for name, i in column.items() if name.startswith("结案率"))
    assert got[column["立案数"]] == str(row.accepted) and got[closure] == f"{row.closure_rate:.2f}"
    assert len(units[0]) <= 9  # the 17-column table keeps its key columns in Word (all of them in Excel)
    assert len(doc.inline_shapes) == 3  # trend, categories, target donut
    wb = read_xlsx(product)
    trend = wb["趋势"]
    assert trend["A13"].value == "2019-10" and trend["B13"].value == 4 and trend["D13"].value == 85.0


def test_cli_generate_writes_files_and_prints_paths(week42, tmp_path, capsys):
    with clock.frozen(NOW):
        call_command("report", "generate", "weekly", "--period", "2019-W42", "--out", str(tmp_path))
    out = capsys.readouterr().out.split()
    assert [p.rsplit(".", 1)[1] for p in out] == ["docx", "xlsx"]
    assert all((tmp_path / p.rsplit("/", 1)[1]).exists() for p in out)
    Document(out[0])
    load_workbook(out[1])
    with pytest.raises(CommandError, match="周期格式不正确"):
        call_command("report", "generate", "weekly", "--period", "2019-42", "--out", str(tmp_path))


def test_schedule_queues_each_due_product_once(town):
    from wenming.assessments.schedule import due, enqueue_due

    monday = dt.date(2019, 10, 7)  # also the first Monday after Q3 ends
    with clock.frozen(at(2019, 10, 7, 1)):
        assert {k: p.code for k, p in due(monday)} == {
            "weekly": "2019-W40", "monthly": "2019-09", "quarterly": "2019-Q3", "annual": "2018"}
        queued = enqueue_due(monday)
        assert len(queued) == 4
        assert enqueue_due(monday) == []  # an hour later: nothing new
    assert set(Product.objects.values_list("job_state", flat=True)) == {JobState.DONE}
    assert Decimal(Product.objects.count()) == 4


def test_no_chinese_font_fails_the_job_with_a_clear_message(week42, monkeypatch, tmp_path):
    from wenming.core import charts

    def missing():
        raise charts.NoCJKFontError("未找到中文字体，图表无法显示中文：请安装 fonts-noto-cjk 或 fonts-wqy-microhei。")

    monkeypatch.setattr(charts, "cjk_font", missing)
    with clock.frozen(NOW), pytest.raises(CommandError, match="未找到中文字体"):
        call_command("report", "generate", "weekly", "--period", "2019-W42", "--out", str(tmp_path / "out"))
    product = Product.objects.get()
    assert product.job_state == JobState.FAILED and "未找到中文字体" in product.progress_message
    assert not product.snapshot and not product.docx and not (tmp_path / "out").exists()
    monkeypatch.undo()
    assert generate("weekly", "2019-W42").job_state == JobState.DONE  # once fonts exist, the same product generates
