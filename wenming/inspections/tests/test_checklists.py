"""Reference data and checklist versions: a round keeps the version pinned when it started."""

from decimal import Decimal

import pytest

from wenming.cases.taxonomy import ENTRIES
from wenming.inspections import services
from wenming.inspections.models import (
    Checklist,
    ChecklistItem,
    FrozenChecklistError,
    GradeBand,
    PointType,
)
from wenming.inspections.templates_data import CHECKLISTS, POINT_TYPES


def test_point_types_are_the_manuals_list(world):
    names = set(PointType.objects.values_list("name", flat=True))
    for name in ["新时代文明实践中心", "政务大厅", "主次干道", "背街小巷", "农贸市场", "室外公共厕所", "乡镇", "小区"]:
        assert name in names
    assert len(POINT_TYPES) == 26
    assert PointType.objects.get(code="market").graded


def test_templates_are_countable_and_map_to_real_case_categories():
    categories = {e.name for e in ENTRIES}
    required = {"main_road", "back_street", "market", "toilet", "bus_stop", "park", "square", "community",
                "residential", "school", "hospital", "gov_hall"}
    assert required <= set(CHECKLISTS)
    for code, (_prefix, items) in CHECKLISTS.items():
        assert 6 <= len(items) <= 12, code
        for text, points, _method, category in items:
            assert points > 0 and text
            assert category in categories, (code, category)
    texts = " ".join(t for t, *_ in CHECKLISTS["back_street"][1])
    assert "路灯安装率100%" in texts and "亮灯率不低于95%" in texts


def test_load_checklists_is_idempotent(world):
    before = (Checklist.objects.count(), ChecklistItem.objects.count(), GradeBand.objects.count())
    services.load_reference_data()
    services.load_checklists(year=2030)
    assert (Checklist.objects.count(), ChecklistItem.objects.count(), GradeBand.objects.count()) == before
    assert before[0] == len(CHECKLISTS)


def test_load_does_not_overwrite_office_changes(world):
    item = ChecklistItem.objects.get(code="NMSC-01")
    item.points = Decimal(6)
    item.save()
    services.load_checklists()
    assert ChecklistItem.objects.get(code="NMSC-01").points == 6


def test_edit_mid_round_makes_new_version_and_round_keeps_its_own(world):
    point = world.point("建设农贸市场")
    rnd = world.round([point])
    pinned = rnd.checklist_for(point.point_type_id)
    assert pinned.is_frozen
    old_item = pinned.items.get(code="NMSC-01")

    new_item = services.checklist_item_update(item=old_item, text="划行归市（新标准）", points=Decimal(5))

    assert new_item.checklist_id != pinned.pk
    assert new_item.checklist.version == pinned.version + 1
    assert new_item.checklist.previous_id == pinned.pk
    old_item.refresh_from_db()
    assert old_item.points == 4 and "新标准" not in old_item.text
    rnd.refresh_from_db()
    assert rnd.checklist_for(point.point_type_id).pk == pinned.pk
    # A second edit goes into the same (unfrozen) new version, not a third one.
    again = services.checklist_item_update(item=old_item, points=Decimal(6))
    assert again.checklist_id == new_item.checklist_id
    # A round started now uses the new version.
    rnd2 = world.round([point], name="下一轮")
    assert rnd2.checklist_for(point.point_type_id).pk == new_item.checklist_id
    assert rnd2.checklist_for(point.point_type_id).items.get(code="NMSC-01").points == 6


def test_frozen_items_refuse_direct_edits(world):
    point = world.point("栗雨农贸市场")
    rnd = world.round([point])
    item = rnd.checklist_for(point.point_type_id).items.first()
    item.points = Decimal(1)
    with pytest.raises(FrozenChecklistError):
        item.save()
    with pytest.raises(FrozenChecklistError):
        item.delete()


def test_round_start_refuses_a_type_without_checklist(world):
    bank = PointType.objects.get(code="bank")
    point = world.point("工商银行网点", bank)
    rnd = world.round([point], start=False)
    with pytest.raises(Exception, match="银行网点"):
        services.round_start(round=rnd)


def test_deterministic_sampling(world):
    points = [world.point(f"市场{i:02d}") for i in range(20)]
    a = services.select_points(point_types=[world.market_type], sample_per_type=5, seed=42)
    b = services.select_points(point_types=[world.market_type], sample_per_type=5, seed=42)
    c = services.select_points(point_types=[world.market_type], sample_per_type=5, seed=43)
    assert [p.pk for p in a] == [p.pk for p in b]
    assert len(a) == 5 and {p.pk for p in a} != {p.pk for p in c}
    assert len(services.select_points(point_types=[world.market_type])) == len(points)
