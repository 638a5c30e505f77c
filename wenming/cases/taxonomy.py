"""The category taxonomy the product ships with: 事件/部件 main classes and sub-classes (standards.md, digital city
management) plus every uncivilized phenomenon the seed plan names, routed to the lead unit of the measure that
names it (seed §11, §12, §13, §22–§28 responsibility blocks: 牵头单位).

Codes are this product's: "SJ" (事件) or "BJ" (部件) + 2-digit main class + 2-digit sub-class, the 2+2 shape of the
national 部件 code. Time limits follow hotline and city practice (standards.md: emergencies the same day, ordinary
matters a few working days, reports needing investigation up to 15 working days); they are local practice, so
they are starting values that administrators change in the admin, and `load_categories()` never overwrites them.
"""

from __future__ import annotations

import dataclasses

from django.db import transaction

from wenming.accounts.models import OrgUnit, OrgUnitKind

from .models import Category, CategoryKind, LimitUnit, ResponsibilityRule

# Seed plan measure → its 牵头单位 (the first lead unit in the measure's responsibility block).
MEASURE_LEAD_UNIT = {
    11: "市城管局",
    12: "市交通运输局",
    13: "市食药监局",
    22: "市城管局",
    23: "市交通运输局",
    24: "市城管局",
    25: "市商务和粮食局",
    26: "市房产局",
    27: "市环保局",
    28: "市委网信办",
}

EVENT_MAIN = {"01": "市容环境", "02": "宣传广告", "03": "施工管理", "04": "街面秩序", "05": "突发事件", "06": "其他事件"}
COMPONENT_MAIN = {
    "01": "公用设施", "02": "道路交通", "03": "市容环境", "04": "园林绿化", "05": "房屋土地", "06": "其它设施",
    "07": "扩展部件",
}

H, D = LimitUnit.WORKING_HOURS, LimitUnit.WORKING_DAYS
TERR, FUNC = ResponsibilityRule.TERRITORIAL, ResponsibilityRule.FUNCTIONAL


@dataclasses.dataclass(frozen=True)
class Entry:
    code: str  # "SJ0103": kind prefix + main + sub
    name: str
    measure: int | None = None  # seed plan measure naming the phenomenon
    rule: str = ""  # default: 事件 → 属地, 部件 → 属主 (standards.md)
    urgent: tuple[int, str] = (4, H)
    normal: tuple[int, str] = (3, D)
    radius_m: int = 50
    accept: str = ""
    close: str = ""

    @property
    def kind(self) -> str:
        return CategoryKind.EVENT if self.code.startswith("SJ") else CategoryKind.COMPONENT

    @property
    def main_code(self) -> str:
        return self.code[2:4]

    @property
    def main_class(self) -> str:
        return (EVENT_MAIN if self.kind == CategoryKind.EVENT else COMPONENT_MAIN)[self.main_code]

    @property
    def lead_unit(self) -> str | None:
        return MEASURE_LEAD_UNIT.get(self.measure) if self.measure else None


E = Entry
# fmt: off
ENTRIES: list[Entry] = [
    # 事件 · 市容环境
    E("SJ0101", "暴露垃圾", urgent=(2, H), normal=(1, D), radius_m=30,
      accept="道路、广场、绿地等公共区域有暴露垃圾、积存垃圾", close="垃圾清运干净，无残留"),
    E("SJ0102", "积存渣土", normal=(2, D)),
    E("SJ0103", "道路不洁", urgent=(2, H), normal=(1, D)),
    E("SJ0104", "水域不洁", normal=(3, D), radius_m=200),
    E("SJ0105", "绿地脏乱", normal=(2, D)),
    E("SJ0106", "私搭乱建", urgent=(1, D), normal=(15, D), accept="在公共区域私搭乱建棚房、围墙等"),
    E("SJ0107", "违法建筑", 22, rule=TERR, urgent=(1, D), normal=(15, D), radius_m=30,
      accept="未经规划许可正在建设或已建成的建（构）筑物", close="在建的已制止，已建成的已依法立案查处或拆除"),
    E("SJ0108", "油烟污染", 22, rule=TERR, normal=(3, D), radius_m=50,
      accept="餐饮油烟未经净化直排或露天烧烤产生油烟", close="油烟净化设施已安装使用或油烟源已取缔"),
    E("SJ0109", "公厕脏乱", 24, rule=FUNC, urgent=(2, H), normal=(1, D), radius_m=30,
      accept="公共厕所有明显污物、异味，设施无法使用", close="公厕清洁，设施可正常使用"),
    E("SJ0110", "农贸市场脏乱差", 25, rule=FUNC, urgent=(1, D), normal=(5, D), radius_m=150,
      accept="农贸市场内外卫生脏乱差、乱堆乱扔、占道经营", close="市场内外整洁有序，经营秩序规范"),
    E("SJ0111", "黑臭水体", 27, rule=FUNC, urgent=(1, D), normal=(15, D), radius_m=300,
      accept="城市水体颜色明显异常或散发浓烈臭味", close="已查明污染源并落实整治措施"),
    E("SJ0112", "乱堆乱放", 26, rule=TERR, normal=(3, D), accept="小区、背街小巷等公共区域乱堆乱放杂物"),
    E("SJ0113", "毁绿种菜", 26, rule=TERR, normal=(5, D)),
    # 事件 · 宣传广告
    E("SJ0201", "非法小广告", 22, rule=TERR, normal=(2, D), radius_m=30,
      accept="在建筑物、公共设施上张贴、涂写、刻画的非法小广告", close="已清除干净，无残留痕迹"),
    E("SJ0202", "牛皮癣", 22, rule=TERR, normal=(2, D), radius_m=30,
      accept="乱贴乱画、喷涂的“牛皮癣”广告", close="已清除干净，墙面、设施已恢复"),
    E("SJ0203", "街头散发广告", rule=TERR, urgent=(2, H), normal=(1, D)),
    E("SJ0204", "违规户外广告", 22, rule=FUNC, urgent=(1, D), normal=(10, D)),
    E("SJ0205", "不雅商业广告", 22, rule=FUNC, urgent=(1, D), normal=(5, D)),
    # 事件 · 施工管理
    E("SJ0301", "施工扰民", urgent=(2, H), normal=(2, D)),
    E("SJ0302", "施工占道", normal=(3, D)),
    E("SJ0303", "工地扬尘", 22, rule=FUNC, normal=(2, D), radius_m=100,
      accept="工地未落实围挡、覆盖、湿法作业、路面硬化、车辆密闭运输、出入冲洗“6个100%”", close="抑尘措施落实到位"),
    E("SJ0304", "施工废弃料", normal=(3, D)),
    E("SJ0305", "渣土车", 22, rule=FUNC, urgent=(2, H), normal=(1, D), radius_m=200,
      accept="渣土车辆未密闭运输、抛洒滴漏、带泥上路", close="已查处并清理路面"),
    # 事件 · 街面秩序
    E("SJ0401", "占道经营", 22, rule=TERR, urgent=(2, H), normal=(1, D),
      accept="占用道路、广场等公共场所摆摊经营", close="摊点已清理，现场恢复通行"),
    E("SJ0402", "出店经营", 22, rule=TERR, normal=(2, D), radius_m=30),
    E("SJ0403", "露天烧烤", 22, rule=TERR, urgent=(2, H), normal=(1, D),
      accept="在城区公共场所露天烧烤（餐饮）", close="露天烧烤已清理或入店经营"),
    E("SJ0404", "无照经营", rule=TERR, normal=(5, D)),
    E("SJ0405", "无证经营", 25, rule=FUNC, urgent=(1, D), normal=(10, D),
      accept="无食品经营许可证等证照从事经营", close="已督促办证或依法查处取缔"),
    E("SJ0406", "流浪乞讨", rule=TERR, urgent=(2, H), normal=(1, D)),
    E("SJ0407", "非法营运", 23, rule=FUNC, urgent=(4, H), normal=(5, D), radius_m=300,
      accept="火车站、汽车站等区域黑车拉客、非法营运", close="已依法查处"),
    E("SJ0408", "早夜市", rule=TERR, normal=(3, D)),
    E("SJ0409", "乱停乱靠", 23, rule=FUNC, urgent=(2, H), normal=(1, D), radius_m=30,
      accept="机动车、非机动车违法占道停放", close="车辆已驶离或已依法处理"),
    E("SJ0410", "不礼让斑马线", 12, rule=FUNC, normal=(5, D), radius_m=30),
    E("SJ0411", "车窗抛物", 12, rule=FUNC, normal=(5, D), radius_m=30),
    E("SJ0412", "行人乱穿马路", 12, rule=FUNC, normal=(5, D), radius_m=30),
    E("SJ0413", "闯红灯", 23, rule=FUNC, normal=(5, D), radius_m=30),
    # 事件 · 突发事件
    E("SJ0501", "管道破裂", urgent=(1, H), normal=(4, H), radius_m=100),
    E("SJ0502", "路面塌陷", urgent=(1, H), normal=(8, H), radius_m=100),
    E("SJ0503", "道路积水", urgent=(2, H), normal=(1, D), radius_m=100),
    # 事件 · 其他事件
    E("SJ0601", "食品安全隐患", 13, rule=FUNC, urgent=(4, H), normal=(5, D),
      accept="学校、养老机构、建筑工地食堂及餐饮单位存在食品安全隐患", close="隐患已排除或已依法查处"),
    E("SJ0602", "网吧接纳未成年人", 28, rule=FUNC, urgent=(4, H), normal=(5, D),
      accept="上网服务营业场所违规接纳未成年人", close="已依法查处"),
    E("SJ0603", "违规燃放烟花爆竹", 27, rule=FUNC, urgent=(2, H), normal=(1, D), radius_m=200),
    E("SJ0604", "其他不文明现象", rule=TERR, normal=(5, D)),
    # 部件 (standards.md: 部件先属主、后属地)
    E("BJ0101", "上水井盖", urgent=(2, H), normal=(2, D), accept="井盖缺失、破损、移位", close="井盖完好、平稳"),
    E("BJ0102", "污水井盖", urgent=(2, H), normal=(2, D)),
    E("BJ0103", "雨水箅子", urgent=(2, H), normal=(2, D)),
    E("BJ0104", "消防栓", normal=(3, D)),
    E("BJ0105", "通信电力街箱体", 24, normal=(5, D)),
    E("BJ0201", "路灯不亮", 24, normal=(2, D), radius_m=30, accept="路灯、景观灯夜间不亮或损坏", close="灯具正常亮灯"),
    E("BJ0202", "交通信号灯", urgent=(2, H), normal=(1, D)),
    E("BJ0203", "交通护栏", normal=(3, D)),
    E("BJ0204", "公交站亭", 12, normal=(3, D)),
    E("BJ0205", "道路铭牌", 24, normal=(5, D)),
    E("BJ0301", "垃圾桶破损", 22, normal=(3, D), radius_m=20, accept="垃圾桶、果皮箱破损、缺失、满溢", close="已更换或修复"),
    E("BJ0302", "公厕设施损坏", 24, normal=(2, D)),
    E("BJ0401", "行道树缺损", normal=(5, D)),
    E("BJ0402", "绿地护栏破损", normal=(5, D)),
    E("BJ0501", "老旧小区设施损坏", 26, normal=(10, D), accept="老旧小区路不平、灯不亮、水不通等"),
    E("BJ0601", "设施破损", 24, normal=(5, D), accept="街边座椅、报刊亭等公共设施破损、污损", close="已修复，完好整洁"),
    E("BJ0701", "公益广告设施破损", 11, normal=(5, D)),
]
# fmt: on


def _unit(name: str) -> OrgUnit:
    unit = OrgUnit.objects.by_name(name)
    if unit is None:
        kind = OrgUnitKind.PARTY_DEPARTMENT if name.startswith("市委") else OrgUnitKind.CITY_DEPARTMENT
        unit, _created = OrgUnit.objects.get_or_create(name=name, defaults={"kind": kind})
    return unit


@transaction.atomic
def load_categories(entries: list[Entry] | None = None) -> dict[str, int]:
    """Create the shipped categories that are missing. Safe to run again: existing rows are left as edited."""
    counts = {"created": 0, "existing": 0}
    for order, entry in enumerate(entries or ENTRIES):
        if Category.objects.filter(code=entry.code).exists():
            counts["existing"] += 1
            continue
        default_rule = TERR if entry.kind == CategoryKind.EVENT else FUNC
        Category.objects.create(
            code=entry.code,
            kind=entry.kind,
            main_code=entry.main_code,
            main_class=entry.main_class,
            name=entry.name,
            responsible_unit=_unit(entry.lead_unit) if entry.lead_unit else None,
            responsibility_rule=entry.rule or default_rule,
            urgent_limit=entry.urgent[0],
            urgent_limit_unit=entry.urgent[1],
            normal_limit=entry.normal[0],
            normal_limit_unit=entry.normal[1],
            duplicate_radius_m=entry.radius_m,
            accept_standard=entry.accept,
            close_standard=entry.close,
            seed_measure_number=entry.measure,
            order=order,
        )
        counts["created"] += 1
    return counts
