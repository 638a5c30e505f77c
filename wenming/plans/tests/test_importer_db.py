"""Importing plans into the database: the seed, idempotency, revisions, bad files, the management command."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from wenming.accounts.models import Leader, OrgUnit, OrgUnitKind
from wenming.geo.divisions import load_divisions
from wenming.plans.importers import PlanImportError, import_default_plan, import_plan_file
from wenming.plans.importers.saving import DEFAULT_PLAN_PATH
from wenming.plans.models import ImportRun, Measure, Plan, ProgressReport, Responsibility, Section, Target

DATA = Path(__file__).parent / "data"
DISTRICTS = ["荷塘区人民政府", "芦淞区人民政府", "石峰区人民政府", "天元区人民政府", "渌口区人民政府"]
ALL_GOVERNMENTS = DISTRICTS + ["攸县人民政府", "茶陵县人民政府", "炎陵县人民政府", "醴陵市人民政府"]


@pytest.fixture
def divisions(db):
    load_divisions()


@pytest.fixture
def seed_plan(db):
    return import_default_plan()


def counts():
    return {
        "plans": Plan.objects.count(),
        "sections": Section.objects.count(),
        "measures": Measure.objects.count(),
        "responsibilities": Responsibility.objects.count(),
        "targets": Target.objects.count(),
        "units": OrgUnit.objects.count(),
        "leaders": Leader.objects.count(),
    }


def members(number):
    return set(Responsibility.objects.get(measure__number=number).member_units.values_list("name", flat=True))


@pytest.mark.django_db
def test_default_plan_import(seed_plan):
    plan = seed_plan.plan
    assert seed_plan.created and seed_plan.changed
    assert plan.is_default
    assert plan.title == "株洲市建设新时代全域化更高水平文明城市的实施意见"
    assert plan.issuer == "中共株洲市委办公室 株洲市人民政府办公室"
    assert (plan.issued_on, plan.starts_on, plan.ends_on) == (dt.date(2018, 6, 9), dt.date(2018, 6, 9), dt.date(2020, 12, 31))
    assert len(plan.source_sha256) == 64 and "深化文明城管行动" in plan.source_text
    assert plan.jurisdiction.name == "株洲市"
    assert plan.sections.count() == 9
    assert plan.measures.count() == 41
    assert Responsibility.objects.filter(measure__plan=plan).count() == 20
    assert Target.objects.filter(measure__plan=plan).count() == 98
    assert seed_plan.summary["org_units_created"] == 108
    assert Leader.objects.count() == 8
    run = ImportRun.objects.get()
    assert (run.outcome, run.plan) == ("created", plan)


@pytest.mark.django_db
def test_default_plan_collectives_resolve_to_governments(seed_plan):
    assert members(11) >= set(DISTRICTS)
    assert not members(11) & {"攸县人民政府", "醴陵市人民政府"}  # 各区政府: 区 only
    assert members(15) >= set(ALL_GOVERNMENTS)  # 各县市区
    assert members(19) >= set(ALL_GOVERNMENTS)  # 各县市区政府
    resp = Responsibility.objects.get(measure__number=21)
    assert resp.member_phrases == ["市直各部门", "各县市区"]
    assert set(resp.lead_units.values_list("name", flat=True)) == {"市编办", "市政府办", "市政务服务中心"}
    edu = OrgUnit.objects.get(name="荷塘区教育局")
    assert edu.kind == OrgUnitKind.DISTRICT_DEPARTMENT and edu.parent.name == "荷塘区人民政府"
    assert "醴陵市教育局" in members(18)
    assert {"荷塘区委宣传部", "荷塘区文明办", "攸县文明办"} <= members(20)
    assert "渌口区网信办" in members(16)
    assert Responsibility.objects.get(measure__number=30).member_units.count() == 0
    assert list(Responsibility.objects.get(measure__number=11).lead_leaders.values_list("name", flat=True)) == ["谭可敏"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,kind",
    [
        ("市委网信办", OrgUnitKind.PARTY_DEPARTMENT),
        ("市直机关工委", OrgUnitKind.PARTY_DEPARTMENT),
        ("市城管局", OrgUnitKind.CITY_DEPARTMENT),
        ("市政府办", OrgUnitKind.CITY_DEPARTMENT),
        ("城发集团", OrgUnitKind.STATE_COMPANY),
        ("市餐饮协会", OrgUnitKind.ASSOCIATION),
        ("株洲日报社", OrgUnitKind.MEDIA),
        ("市广播电视台", OrgUnitKind.MEDIA),
        ("中国电信株洲分公司", OrgUnitKind.ENTERPRISE),
        ("国网株洲电力分公司", OrgUnitKind.ENTERPRISE),
        ("市妇联", OrgUnitKind.PEOPLES_ORGANISATION),
        ("团市委", OrgUnitKind.PEOPLES_ORGANISATION),
        ("市总工会", OrgUnitKind.PEOPLES_ORGANISATION),
        ("市中级人民法院", OrgUnitKind.JUDICIAL),
    ],
)
def test_default_plan_unit_kinds(seed_plan, name, kind):
    assert OrgUnit.objects.get(name=name).kind == kind


@pytest.mark.django_db
def test_reimport_changes_nothing(seed_plan):
    before = counts()
    target_ids = sorted(Target.objects.values_list("pk", flat=True))
    stamp = Plan.objects.get().updated_at
    again = import_default_plan()
    assert (again.created, again.changed, again.diff) == (False, False, [])
    assert counts() == before
    assert sorted(Target.objects.values_list("pk", flat=True)) == target_ids
    assert Plan.objects.get().updated_at == stamp
    assert ImportRun.objects.order_by("-pk").first().outcome == "unchanged"


def revised_copy(tmp_path) -> Path:
    text = DEFAULT_PLAN_PATH.read_text(encoding="utf-8")
    assert "公共厕所230座" in text
    text = text.replace("公共厕所230座", "公共厕所240座")
    lines = [line for line in text.split("\n") if not line.strip().startswith("33.提高全民科学素质")]
    path = tmp_path / "zhuzhou_2018_rev.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.django_db
def test_revision_dry_run_shows_diff_then_applies_in_place(seed_plan, tmp_path):
    toilets = Target.objects.get(measure__number=11, unit="座")
    unit = OrgUnit.objects.get(name="市城管局")
    report = ProgressReport.objects.create(target=toilets, org_unit=unit, period_start=dt.date(2019, 1, 1), value=100)
    measure_ids = dict(Measure.objects.values_list("number", "pk"))
    path = revised_copy(tmp_path)

    preview = import_plan_file(path, dry_run=True)
    assert preview.dry_run and preview.changed and not preview.created
    assert any("230 → 240" in line for line in preview.diff)
    assert any("删除措施 33" in line for line in preview.diff)
    toilets.refresh_from_db()
    assert toilets.value == Decimal(230)
    assert Measure.objects.count() == 41

    applied = import_plan_file(path)
    assert applied.changed and applied.plan.pk == seed_plan.plan.pk
    toilets.refresh_from_db()
    assert toilets.value == Decimal(240)
    assert ProgressReport.objects.filter(pk=report.pk).exists()
    assert Measure.objects.count() == 40
    assert not Measure.objects.filter(number=33).exists()
    assert Measure.objects.get(number=34).pk == measure_ids[34]  # numbers as written: 34 stays 34
    assert Measure.objects.get(number=11).pk == measure_ids[11]
    assert ImportRun.objects.order_by("-pk").first().outcome == "updated"
    # Applying the same revision again is a no-op.
    assert import_plan_file(path).changed is False


@pytest.mark.django_db
def test_revision_cannot_drop_a_measure_with_progress_reports(seed_plan, tmp_path):
    target = Target.objects.filter(measure__number=32).first()
    ProgressReport.objects.create(
        target=target, org_unit=OrgUnit.objects.get(name="市城管局"), period_start=dt.date(2019, 1, 1), done=True
    )
    text = DEFAULT_PLAN_PATH.read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if not line.strip().startswith("32.")]
    path = tmp_path / "drop32.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    before = counts()
    with pytest.raises(PlanImportError, match="已有进度报送"):
        import_plan_file(path)
    assert counts() == before
    assert ImportRun.objects.order_by("-pk").first().outcome == "failed"


@pytest.mark.django_db
def test_revision_refuses_mass_deletion(seed_plan, tmp_path):
    text = DEFAULT_PLAN_PATH.read_text(encoding="utf-8")
    cut = text.index("  五、不断满足市民日益增长的美好生活需要")
    path = tmp_path / "truncated.txt"
    path.write_text(text[:cut], encoding="utf-8")
    before = counts()
    with pytest.raises(PlanImportError, match="超过半数"):
        import_plan_file(path)
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,content,message",
    [
        ("empty.txt", b"", "文件为空"),
        ("garbage.txt", bytes(range(256)) * 40, "不是文本"),
        ("broken.docx", "不是压缩包".encode(), "不是有效的 Word 文档"),
        ("letter.txt", "各位同事：\n下周一开会。\n办公室".encode(), "未识别到任何措施"),
    ],
)
def test_bad_files_store_nothing(divisions, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    before = counts()
    with pytest.raises(PlanImportError, match=message):
        import_plan_file(path)
    assert counts() == before
    run = ImportRun.objects.get()
    assert run.outcome == "failed" and message in run.summary["error"]


@pytest.mark.django_db
def test_docx_import(divisions, tmp_path):
    import docx

    document = docx.Document()
    for line in (DATA / "docx_halfwidth.txt").read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    path = tmp_path / "plan.docx"
    document.save(path)
    outcome = import_plan_file(path)
    assert outcome.created
    assert outcome.plan.measures.count() == 3
    assert members(1) >= set(ALL_GOVERNMENTS)  # 各县市区政府
    assert members(2) >= set(DISTRICTS)  # 各区政府
    assert OrgUnit.objects.get(name="市生态环境局").kind == OrgUnitKind.CITY_DEPARTMENT


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,measures,responsibilities",
    [
        ("district_cn_paren.txt", 4, 4),
        ("county_paren_arabic.txt", 3, 3),
        ("city_prose_cn_arabic.txt", 4, 2),
        ("docx_halfwidth.txt", 3, 2),
    ],
)
def test_varied_formats_import(divisions, name, measures, responsibilities):
    outcome = import_plan_file(DATA / name)
    assert outcome.plan.measures.count() == measures
    assert Responsibility.objects.filter(measure__plan=outcome.plan).count() == responsibilities
    assert import_plan_file(DATA / name).changed is False


@pytest.mark.django_db
def test_two_plans_coexist(seed_plan):
    other = import_plan_file(DATA / "county_paren_arabic.txt")
    assert Plan.objects.count() == 2
    assert other.plan.measures.count() == 3
    assert Plan.objects.get(is_default=True) == seed_plan.plan
    assert Leader.objects.get(name="张三").position == "县委常委、宣传部部长"


# ---- management command ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_json_dry_run(divisions):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_plan", str(DEFAULT_PLAN_PATH), "--json", "--dry-run", stdout=out, stderr=err)
    data = json.loads(out.getvalue())
    assert data["title"] == "株洲市建设新时代全域化更高水平文明城市的实施意见"
    assert len(data["sections"]) == 9
    all_measures = [m for s in data["sections"] for m in s["measures"]]
    assert [m["number"] for m in all_measures] == list(range(1, 42))
    m21 = all_measures[20]
    assert m21["title"] == "优化政务服务"
    assert m21["lead_leaders"] == ["何剑波"]
    assert m21["lead_units"] == ["市编办", "市政府办", "市政务服务中心"]
    assert m21["member_units"] == ["市直各部门", "各县市区"]
    toilet = all_measures[10]["targets"][0]
    assert {k: toilet[k] for k in ("value", "unit", "comparator", "deadline", "recurrence")} == {
        "value": 230, "unit": "座", "comparator": "eq", "deadline": "2020-12-31", "recurrence": ""
    }
    milestone = all_measures[5]["targets"][0]
    assert milestone["value"] is None
    assert data["import"]["dry_run"] is True
    assert "识别到：9 个部分、41 项措施、20 项责任分工" in err.getvalue()
    assert Plan.objects.count() == 0 and ImportRun.objects.count() == 0


@pytest.mark.django_db
def test_command_dry_run_stores_nothing(divisions):
    before = counts()
    out = io.StringIO()
    call_command("import_plan", str(DEFAULT_PLAN_PATH), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "【试运行】未写入数据库" in text
    assert "11. 深化文明城管行动" in text
    assert "新增单位：市城管局" in text
    assert counts() == before and ImportRun.objects.count() == 0


@pytest.mark.django_db
def test_command_imports_and_reports(divisions):
    out = io.StringIO()
    call_command("import_plan", str(DEFAULT_PLAN_PATH), "--default", stdout=out)
    assert "已新建方案" in out.getvalue()
    assert Plan.objects.get().is_default
    out = io.StringIO()
    call_command("import_plan", str(DEFAULT_PLAN_PATH), stdout=out)
    assert "未做任何修改" in out.getvalue()


@pytest.mark.django_db
def test_command_bad_file_fails_with_chinese_message(divisions, tmp_path):
    path = tmp_path / "letter.txt"
    path.write_text("各位同事：\n下周一开会。", encoding="utf-8")
    with pytest.raises(CommandError, match="导入失败：未识别到任何措施"):
        call_command("import_plan", str(path), stdout=io.StringIO())
    assert Plan.objects.count() == 0


def test_command_help_is_chinese():
    from wenming.plans.management.commands.import_plan import Command

    text = Command().create_parser("wenming", "import_plan").format_help()
    assert "导入实施方案文档" in text and "--dry-run" in text and "试运行" in text
