"""The plan parser on the seed and on other cities' house styles (pure: no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from wenming.plans.importers import PlanImportError, parse_plan_text, read_document
from wenming.plans.importers.saving import DEFAULT_PLAN_PATH

DATA = Path(__file__).parent / "data"
END = dt.date(2020, 12, 31)
THREE_YEARS = dt.date(2021, 6, 9)  # plan start 2018-06-09 + 3 years (seed §12 利用三年左右的时间, §18 三年内, §19 分三年)


@pytest.fixture(scope="module")
def seed():
    return parse_plan_text(read_document(DEFAULT_PLAN_PATH), source_name="zhuzhou_2018.txt")


def measure(plan, number):
    return next(m for m in plan.measures if m.number == number)


def target(plan, number, value, unit, nth=0):
    wanted = Decimal(value) if value is not None else None
    found = [t for t in measure(plan, number).targets if t.value == wanted and t.unit == unit]
    return found[nth]


def test_seed_metadata(seed):
    assert seed.title == "株洲市建设新时代全域化更高水平文明城市的实施意见"
    assert seed.issuer == "中共株洲市委办公室 株洲市人民政府办公室"
    assert seed.issued_on == dt.date(2018, 6, 9)
    assert seed.starts_on == dt.date(2018, 6, 9)
    assert seed.ends_on == END
    assert seed.format == "zhuzhou"


def test_seed_counts(seed):
    counts = seed.counts()
    assert counts["sections"] == 9
    assert counts["measures"] == 41
    assert counts["responsibilities"] == 20
    assert [m.number for m in seed.measures] == list(range(1, 42))
    assert [m.number for m in seed.measures if m.responsibility] == list(range(11, 31))
    # Every quantified commitment (a number with a unit) plus the dated milestones (§3, §6, §7, §22, §30, §32, §37).
    assert counts["targets"] == 98
    assert counts["milestones"] == 9


def test_seed_sections(seed):
    assert [(s.number, s.title, len(s.measures)) for s in seed.sections] == [
        (1, "牢固树立物质文明和精神文明建设协调发展的战略方针", 3),
        (2, "推动习近平新时代中国特色社会主义思想入脑入心", 2),
        (3, "大力培育和践行社会主义核心价值观", 5),
        (4, "推动“十大文明行动”再提标", 10),
        (5, "不断满足市民日益增长的美好生活需要", 10),
        (6, "推动文明建设向全市域深化拓展", 2),
        (7, "着力提升市民文明素养", 3),
        (8, "营造文明城市建设的良好社会环境", 2),
        (9, "加强对文明城市建设活动的领导", 4),
    ]
    # Section 4 keeps its introduction paragraph instead of dropping it.
    assert seed.sections[3].intro[0].startswith("以深入实施“十大文明行动”为总揽")


@pytest.mark.parametrize(
    "number,title",
    [
        (1, "指导思想"),
        (3, "目标要求"),
        (4, "深入学习宣传贯彻习近平新时代中国特色社会主义思想"),
        (5, "加强理想信念教育"),
        (6, "推动社会主义核心价值观落地生根"),
        (10, "深化学雷锋志愿服务活动"),
        (11, "深化文明城管行动"),
        (20, "深化文明单位行动"),
        (21, "优化政务服务"),
        (30, "加强诚信体系建设"),
        (31, "统筹推进文明县城建设"),
        (32, "开展各类精神文明共建活动"),
        (33, "提高全民科学素质"),
        (35, "丰富群众文化生活"),
        (36, "加强宣传"),
        (37, "夯实阵地"),
        (38, "强化组织领导"),
        (41, "严格督查考核"),
    ],
)
def test_seed_measure_titles(seed, number, title):
    assert measure(seed, number).title == title


def test_seed_body_excludes_responsibility_block(seed):
    m = measure(seed, 11)
    assert "牵头领导" not in m.body
    assert m.body.endswith("城管执法更加文明。")
    assert m.responsibility.raw_text.replace("(", "（").replace(":", "：").startswith("（牵头领导：谭可敏")


@pytest.mark.parametrize(
    "number,leaders,leads,members,phrases",
    [
        (11, ["谭可敏"], ["市城管局"], ["市环保局", "市住建局", "城发集团", "各区政府"], ["各区政府"]),
        (
            14,
            ["黄芳"],
            ["市旅游外事侨务局"],
            ["市发改委", "市经信委", "市公安局", "市住建局", "市城管局", "市交通运输局", "市农业委", "市文体广新局",
             "市旅游协会", "县市区旅游部门和旅游企业"],
            ["县市区旅游部门和旅游企业"],
        ),
        (
            16,
            ["聂方红"],
            ["市委网信办"],
            ["市公安局", "市文体广新局", "市工商局", "市文明办", "各重点网络媒体", "各县市区网信办"],
            ["各重点网络媒体", "各县市区网信办"],
        ),
        (20, ["聂方红"], ["市文明办"], ["市直机关工委", "各县市区委宣传部、文明办"], ["各县市区委宣传部、文明办"]),
        (21, ["何剑波"], ["市编办", "市政府办", "市政务服务中心"], ["市直各部门", "各县市区"], ["市直各部门", "各县市区"]),
        (
            30,
            ["何剑波"],
            ["市发改委"],
            ["市社会信用体系建设工作联席会议各成员单位"],
            ["市社会信用体系建设工作联席会议各成员单位"],
        ),
    ],
)
def test_seed_responsibility_splits(seed, number, leaders, leads, members, phrases):
    resp = measure(seed, number).responsibility
    assert [leader.name for leader in resp.lead_leaders] == leaders
    assert resp.lead_units == leads
    assert resp.member_units == members
    assert resp.member_phrases == phrases


def test_seed_member_tails(seed):
    assert measure(seed, 18).responsibility.member_phrases == ["各县市区教育局"]
    assert measure(seed, 19).responsibility.member_phrases == ["各县市区政府"]
    assert "中国电信株洲分公司" in measure(seed, 22).responsibility.member_units
    assert measure(seed, 13).responsibility.member_units[-2:] == ["市餐饮协会", "各区政府"]


@pytest.mark.parametrize(
    "number,value,unit,comparator,deadline,recurrence,metric",
    [
        (11, "230", "座", "eq", END, "", "新建改造公共厕所"),
        (11, "42.5", "%", "gte", END, "", "建成区绿地率"),
        (11, "14.32", "平方米", "gte", END, "", "人均公园面积"),
        (11, "30", "%", "gte", END, "", "公益广告投放量"),
        (12, "100", "%", "gte", END, "", "全市公交车让行率"),
        (12, "30", "条", "eq", THREE_YEARS, "", "打通“断头路”"),
        (9, "100", "名", "eq", END, "yearly", "认定株洲好人"),
        (9, "50", "名", "gte", END, "yearly", "推选湖南好人"),
        (10, "20", "万人", "gte", END, "", "在湖南志愿服务网注册志愿者人数"),
        (10, "700", "支", "gte", END, "", "注册志愿服务组织"),
        (15, "50", "%", "gte", END, "", "县级及县级以上文明村和文明乡镇比例"),
        (18, "100", "场", "eq", END, "yearly", None),
        (18, "3", "本", "eq", THREE_YEARS, "", None),
        (19, "100", "个", "eq", THREE_YEARS, "", "改造社区综合服务中心"),
        (19, "4.5", "万户", "eq", END, "", "改造老旧小区"),
        (20, "10", "次", "gte", END, "yearly", "全国文明单位开展志愿服务活动"),
        (22, "100", "万平方米", "eq", dt.date(2018, 12, 31), "", "完成城区拆违"),
        (23, "20", "%", "reduce", END, "", "全市非法营运车辆"),
        (24, "3", "座/平方公里", "eq", END, "", "建成区内公共厕所"),
        (24, "14", "条", "eq", dt.date(2018, 12, 31), "", None),
        (25, "2", "家", "gte", END, "yearly", None),
        (27, "90", "%", "gte", END, "", "污染地块安全利用率"),
    ],
)
def test_seed_target_spot_checks(seed, number, value, unit, comparator, deadline, recurrence, metric):
    candidates = [t for t in measure(seed, number).targets if t.value == Decimal(value) and t.unit == unit]
    if metric:
        candidates = [t for t in candidates if t.metric == metric]
    assert candidates, (number, value, unit, [t.metric for t in measure(seed, number).targets])
    t = candidates[0]
    assert (t.comparator, t.deadline, t.recurrence) == (comparator, deadline, recurrence)
    assert t.starts_on == dt.date(2018, 6, 9)


def test_seed_range_keeps_upper_bound(seed):
    t = target(seed, 25, "2", "家")
    assert t.upper == Decimal("3") and t.recurrence == "yearly"


def test_seed_milestones(seed):
    t = measure(seed, 6).targets[0]
    assert t.value is None and t.is_milestone
    assert t.metric == "完成社会主义核心价值观主题公园建设"
    assert t.deadline == END
    assert [x.deadline for x in measure(seed, 37).targets] == [dt.date(2018, 12, 31)] * 2


def test_seed_quoted_slogans_are_not_targets(seed):
    # seed §22 “6个100%”抑尘措施, §16 “净网2018”, §12 “721”工作法 are names, not commitments.
    values = [(t.value, t.unit) for t in measure(seed, 22).targets]
    assert (Decimal(6), "个") not in values
    assert not any(t.value == Decimal(2018) for t in seed.targets)


def test_seed_nothing_unclassified_and_page_chrome_listed(seed):
    assert seed.unclassified == []
    assert "编辑:向胤蓉" in seed.ignored and "当前位置:" in seed.ignored


def test_seed_json_shape(seed):
    data = seed.to_json_dict()
    assert data["title"] == seed.title
    m11 = data["sections"][3]["measures"][0]
    assert m11["number"] == 11 and m11["title"] == "深化文明城管行动"
    assert m11["lead_leaders"] == ["谭可敏"] and m11["lead_units"] == ["市城管局"]
    first = m11["targets"][0]
    assert set(first) >= {"text", "metric", "value", "unit", "comparator", "deadline", "recurrence"}
    assert first["value"] == 230 and first["deadline"] == "2020-12-31"


# ---- other house styles ------------------------------------------------------------------------------


def parse_file(name):
    return parse_plan_text(read_document(DATA / name), source_name=name)


def test_format_cn_paren_with_responsibility_lines():
    plan = parse_file("district_cn_paren.txt")
    assert plan.format == "cn_paren"
    assert plan.title == "芙蓉区2019年文明城市创建工作实施方案"
    assert plan.issued_on == dt.date(2019, 3, 1)
    assert [(m.number, m.label, m.title) for m in plan.measures] == [
        (1, "（一）", "深化核心价值观宣传"),
        (2, "（二）", "推进诚信建设"),
        (3, "（一）", "治理占道经营"),
        (4, "（二）", "改造背街小巷"),
    ]
    m1 = measure(plan, 1).responsibility
    # 责任单位 with （牵头）: the marked unit leads, the others become members.
    assert m1.lead_units == ["区委宣传部"] and m1.member_units == ["区文明办", "各街道办事处"]
    assert m1.deadline == dt.date(2019, 12, 31)
    assert measure(plan, 1).targets[0].deadline == dt.date(2019, 12, 31)
    assert measure(plan, 2).responsibility.deadline == dt.date(2019, 6, 30)
    prose = measure(plan, 4).responsibility  # （区住建局牵头，区城管局、区财政局配合）
    assert prose.lead_units == ["区住建局"] and prose.member_units == ["区城管局", "区财政局"]
    reduce = measure(plan, 3).targets[0]
    assert (reduce.value, reduce.unit, reduce.comparator) == (Decimal(30), "%", "reduce")
    assert measure(plan, 4).targets[0].metric == "完成背街小巷改造"


def test_format_paren_sections_halfwidth_and_leader_titles():
    plan = parse_file("county_paren_arabic.txt")
    assert plan.format == "paren_arabic"
    assert [s.title for s in plan.sections] == ["提升城市管理水平", "提升市民文明素质"]
    assert [m.number for m in plan.measures] == [1, 2, 3]  # 1、2、 then 1、 again: numbered through
    leaders = [(x.name, x.position) for m in plan.measures for x in m.responsibility.lead_leaders]
    assert leaders == [("张三", "县委常委、宣传部部长"), ("李四", "副县长"), ("王五", "县委副书记")]
    assert measure(plan, 2).responsibility.lead_units == ["县交警大队"]
    assert measure(plan, 3).responsibility.member_phrases == ["县直各部门"]
    parking = target(plan, 2, "3000", "个")
    assert parking.deadline == dt.date(2022, 1, 10)  # 三年内, from 2019-01-10
    volunteers = target(plan, 3, "100", "场")
    assert (volunteers.comparator, volunteers.recurrence) == ("gte", "yearly")


def test_format_prose_responsibility_and_restarted_numbering():
    plan = parse_file("city_prose_cn_arabic.txt")
    assert plan.format == "cn_arabic"
    assert [(m.number, m.title) for m in plan.measures] == [
        (1, "总体目标"), (2, "年度目标"), (3, "整治农贸市场"), (4, "建设公益广告")
    ]
    assert measure(plan, 1).targets[0].deadline == END  # 到“十三五”期末
    market = measure(plan, 3)
    assert market.responsibility.lead_units == ["市商务局"]
    assert market.responsibility.member_units == ["市市场监管局", "市城管局"]
    assert market.targets[0].recurrence == "yearly"
    assert measure(plan, 4).responsibility.lead_units == ["市文明办"]
    # The appendix after the last measure is listed, not silently dropped.
    assert plan.unclassified == ["附件：责任分工表"]


def test_format_halfwidth_block_deadlines_and_triennial():
    plan = parse_file("docx_halfwidth.txt")
    assert plan.title == "关于开展城乡环境卫生整治行动的实施意见"
    assert plan.issued_on == dt.date(2020, 4, 1)
    assert plan.ends_on == dt.date(2021, 12, 31)
    m1, m2, m3 = plan.measures
    assert m1.responsibility.deadline == dt.date(2021, 12, 31)
    assert m1.responsibility.member_phrases == ["各县市区政府"]
    assert m2.responsibility.lead_units == ["市生态环境局", "市水利局"]
    milestone = m2.targets[0]
    assert milestone.is_milestone and milestone.deadline == dt.date(2020, 6, 30)
    assert (m2.targets[1].comparator, m2.targets[1].value) == ("gte", Decimal(95))
    assert m3.targets[0].recurrence == "triennial"
    assert (m3.targets[1].comparator, m3.targets[1].unit) == ("lte", "件")


def test_explicit_format_is_honoured():
    with pytest.raises(PlanImportError, match="未知的文档格式"):
        parse_plan_text("一、总则\n1.目标。", format="nope")
    plan = parse_plan_text(read_document(DATA / "district_cn_paren.txt"), format="cn_paren")
    assert plan.counts()["measures"] == 4


# ---- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\n", "这是一封普通的信。\n祝好！", "一、总则\n没有任何编号的措施。"])
def test_unrecognisable_text_is_refused(text):
    with pytest.raises(PlanImportError) as info:
        parse_plan_text(text)
    assert "未识别到任何措施" in str(info.value) or "文档为空" in str(info.value)


def test_read_document_rejects_bad_files(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(PlanImportError, match="文件为空"):
        read_document(empty)
    garbage = tmp_path / "garbage.txt"
    garbage.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(PlanImportError, match="不是文本"):
        read_document(garbage)
    fake_docx = tmp_path / "fake.docx"
    fake_docx.write_bytes("这不是 Word 文档".encode())
    with pytest.raises(PlanImportError, match="不是有效的 Word 文档"):
        read_document(fake_docx)
    with pytest.raises(PlanImportError, match="找不到文件"):
        read_document(tmp_path / "missing.txt")


def test_read_document_gb18030(tmp_path):
    path = tmp_path / "gbk.txt"
    original = (DATA / "district_cn_paren.txt").read_text(encoding="utf-8")
    path.write_bytes(original.encode("gb18030"))
    assert read_document(path) == read_document(DATA / "district_cn_paren.txt")
