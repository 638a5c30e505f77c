"""How plan documents are written: one `PlanFormat` per writing style, kept as data, not code.

Chinese cities write 实施意见/实施方案 in a handful of house styles. What differs between them — how parts and
measures are numbered, which words introduce responsibility (牵头单位 vs 责任单位), full- or half-width
punctuation — lives here as regexes and keyword lists, so a new style is a new registry entry rather than a new
parser. The Zhuzhou 2018 plan (the seed) is the default format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from django.utils.translation import gettext_lazy as _

CN_DIGITS = "零〇一二两三四五六七八九十百"

# Keys that open a responsibility entry. Seed §11–§30 use 牵头领导/牵头单位/成员单位; other cities write
# 责任单位/配合单位/完成时限 (e.g. 湖南省直、长沙的分工方案).
LEAD_LEADER_KEYS = ("牵头领导", "责任领导", "分管领导", "牵头市领导", "责任市领导")
LEAD_UNIT_KEYS = ("牵头单位", "牵头部门", "主责单位", "责任单位", "责任部门", "主办单位")
MEMBER_UNIT_KEYS = ("成员单位", "配合单位", "配合部门", "协办单位", "参与单位", "协同单位")
DEADLINE_KEYS = ("完成时限", "完成时间", "时间节点", "时限要求", "完成期限")

# Words that end a leader's title: what precedes the name in "市委常委、宣传部部长张三".
LEADER_TITLES = (
    "副书记", "书记", "常委", "副部长", "部长", "副主任", "主任", "副市长", "市长", "副秘书长", "秘书长",
    "副局长", "局长", "副主席", "主席", "副县长", "县长", "副区长", "区长", "院长", "检察长", "政委",
    "委员", "巡视员", "调研员", "副组长", "组长", "指挥长",
)

# Units of measure, longest first so 万平方米 wins over 平方米 and 万. 年/周/届 are absent on purpose: 2020年,
# 40周年 and 第七届 are dates and ordinals, not commitments.
QUANTITY_UNITS = (
    "万平方米", "平方米", "平方公里", "公里", "万户", "万人", "万元", "亿元", "万亩", "个工作日", "小时",
    "%", "个", "座", "处", "条", "名", "支", "所", "家", "次", "场", "本", "节", "户", "人", "项", "辆",
    "台", "套", "张", "间", "批", "部", "篇", "件", "棵", "株", "盏", "块", "吨", "亩", "天", "元", "米", "万",
)
# Densities such as seed §24 "公共厕所3座/平方公里".
DENSITY_UNIT = r"(?:个|座|名|人|家|处|辆)/(?:平方公里|千人|万人|百人|千户|万户|公里)"

COMPARATOR_WORDS = {
    # reduce first: "下降20%以上" (seed §23) is a reduction of at least 20%, not a level to reach.
    "reduce": ("下降", "减少", "降低", "压减", "削减", "压降"),
    "lte": ("不超过", "不高于", "控制在", "低于", "少于"),
    "gte": ("达到", "不少于", "不低于", "至少", "超过", "增加到", "增至", "提高到", "提升到", "保持在", "突破"),
}
NEGATED_COMPARATORS = (("不少于", "gte"), ("不低于", "gte"), ("不超过", "lte"), ("不高于", "lte"), ("不多于", "lte"))
GTE_SUFFIXES = ("以上",)
LTE_SUFFIXES = ("以下", "以内")
GTE_ENDINGS = ("达",)  # 绿地率达42.5% (seed §11); "达" inside 达标率 is not a comparator.
MILESTONE_VERBS = ("完成", "建成", "实现")

# Words stripped from the front of a metric: they hedge the commitment, they do not name it.
HEDGE_PREFIXES = (
    "力争", "确保", "争取", "努力", "基本实现", "基本", "同时", "并且", "并", "积极", "全面", "实现", "即", "达到",
    "和", "及", "、",
)
TRAILING_COMPARATOR_WORDS = (
    "分别达到", "达到", "不少于", "不低于", "增加到", "增至", "提高到", "提升到", "保持在", "控制在", "不超过",
    "不高于", "下降", "减少", "降低", "达", "在", "为", "至", "的",
)

# Chinese five-year plans, for "到'十三五'期末" (seed §15).
FIVE_YEAR_PLANS = {"十二五": 2015, "十三五": 2020, "十四五": 2025, "十五五": 2030}

WEB_CHROME = (
    r"^当前位置\s*[:：]?",
    r"^(?:作者|编辑|责任编辑|来源|审核|发布时间|发布日期|浏览次数|点击数|字号|分享到)\s*[:：]",
    r"^(?:作者|编辑|来源|分享到)\s*[:：]?\s*$",
    r"^相关(?:内容|链接|阅读|新闻)\s*$",
    r"^(?:上一篇|下一篇|打印本页|关闭窗口|【打印】|【关闭】)",
    r"^\S{2,12}网\s+\d{4}-\d{2}-\d{2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$",
)

TITLE_RE = (
    r"^(?!关于印发|关于转发)(?P<title>[^《》，。：:；;（）()]{4,80}?"
    r"(?:实施意见|实施方案|工作方案|行动方案|行动计划|工作计划|工作要点|建设规划|意见|方案|计划)"
    r"(?:\s*[（(]\s*\d{4}\s*[-—–~至]\s*\d{4}\s*年?\s*[）)])?)$"
)
ISSUER_RE = (
    r"^(?:中共)?[\u4e00-\u9fff]{2,24}"
    r"(?:办公室|办公厅|人民政府|委员会|党委|政府|文明委|文明办|创建办|创文办|指挥部|领导小组)$"
)
DATE_LINE_RE = (
    r"^[（(]?(?:(?:印发|发布|成文)日期\s*[:：]?\s*)?(?P<y>\d{4}|[零〇一二三四五六七八九]{4})\s*年\s*"
    r"(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})\s*月\s*(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*日[）)]?$"
)
APPENDIX_RE = r"^附件\s*[\d一二三四五六七八九十]*\s*[:：]?"

# Collective phrases (seed §11 各区政府, §14 县市区旅游部门和旅游企业, §16 各重点网络媒体, §21 市直各部门,
# §30 市社会信用体系建设工作联席会议各成员单位): kept as written; the ones naming districts/counties expand.
COLLECTIVE_RES = (
    r"^各",
    r"^(?:各)?县市区",
    r"^(?:各)?(?:区县|县区|县市|市区)(?:政府|[\u4e00-\u9fff])",
    r"^(?:市|县|区)直(?:各|有关|相关)",
    r"(?:各|有关|相关)(?:成员)?单位$",
    r"^(?:有关|相关)",
)
# A collective phrase's jurisdiction scope: which district-level governments it names.
SCOPE_RES = (
    # "all" first: 各区县政府 names every district and county, not just the 区.
    ("all", r"^(?:各)?(?:县市区|县（市、区）|县\(市、区\)|区县|县区)(?:人民)?(?P<rest>.*)$"),
    ("districts", r"^各区(?:人民)?(?P<rest>.*)$"),  # seed §11 各区政府 → the 5 区 only
)
GOVERNMENT_WORDS = ("", "政府", "人民政府", "党委和人民政府", "党委政府")

# Guessing an OrgUnit's kind from its name (first match wins).
UNIT_KIND_RULES = (
    ("judicial", r"(?:人民法院|法院|人民检察院|检察院)$"),
    ("peoples_organisation", r"^(?:市|县|区)?(?:妇联|总工会|科协|文联|残联|侨联|工商联|红十字会)$|^团(?:市|县|区)委$"),
    ("party_department", r"^(?:市委|市纪委|市直机关工委)"),
    ("state_company", r"(?:集团|集团公司)$|^市[\u4e00-\u9fff]{1,8}公司$"),
    ("association", r"(?:协会|学会|商会|联合会)$"),
    ("media", r"(?:日报社|报社|日报|晚报|广播电视台|电视台|广播电台|新闻网|网络媒体|媒体|融媒体中心)$"),
    ("enterprise", r"^(?:中国电信|中国移动|中国联通|中国铁塔|国网|国家电网|中国邮政)|分公司$|有限公司$"),
    ("city_department", r"^市[\u4e00-\u9fff]*(?:局|委|办|中心|支队|大队|站|馆|院|所|处|室)$"),
    ("district_government", r"(?:区|县|市)(?:人民)?政府$"),
    # A county or district plan names its own departments (县城管局, 区文明办).
    ("district_department", r"^(?:县|区)[\u4e00-\u9fff]*(?:局|委|办|中心|大队|中队|部)$"),
)


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@dataclass(frozen=True)
class PlanFormat:
    """A house style of plan documents. Every field is a regex source or a keyword tuple."""

    name: str
    label: str
    section_res: tuple[str, ...]
    measure_res: tuple[str, ...]
    # "global": measures run 1..N across the plan (seed); "per_section": numbering restarts in each part.
    numbering: str = "global"
    max_number_gap: int = 3
    lead_leader_keys: tuple[str, ...] = LEAD_LEADER_KEYS
    lead_unit_keys: tuple[str, ...] = LEAD_UNIT_KEYS
    member_unit_keys: tuple[str, ...] = MEMBER_UNIT_KEYS
    deadline_keys: tuple[str, ...] = DEADLINE_KEYS
    # Responsibility written as prose, e.g. "（市城管局牵头，市住建局、市环保局配合）".
    prose_res: tuple[str, ...] = (
        r"[（(](?:由)?(?P<lead>[^（）()。；;]+?)牵头[，,、]\s*(?P<members>[^（）()。；;]+?)(?:配合|参与|协同|协助)[）)]",
        r"由(?P<lead>[^，,。；;（）()]+?)牵头[，,]\s*(?P<members>[^。；;（）()]+?)(?:配合|参与|协同|协助|共同)",
        r"由(?P<lead>[^，,。；;（）()]+?)(?:牵头负责|牵头|负责)(?:落实|实施)?[。；;]?$",
    )
    units: tuple[str, ...] = QUANTITY_UNITS
    chrome_res: tuple[str, ...] = WEB_CHROME
    title_re: str = TITLE_RE
    issuer_re: str = ISSUER_RE
    date_re: str = DATE_LINE_RE
    appendix_re: str = APPENDIX_RE
    collective_res: tuple[str, ...] = COLLECTIVE_RES
    # Numbers that are names, not commitments: 5A级景区, 40周年, H5, 第7届, 3·15.
    ignore_number_res: tuple[str, ...] = (
        r"\d+\s*周年", r"\d+\s*A级", r"[A-Za-z]\d+", r"\d+[A-Za-z]", r"第\s*\d+", r"\d+\s*[·.]\s*\d+\s*[”\"]",
        r"\d{4}\s*年", r"\d+\s*月", r"\d+\s*日",
    )
    recurrence_words: tuple[tuple[str, str], ...] = (
        (r"每三年|每3年", "triennial"),
        (r"每年度|每年|年均|每一年", "yearly"),
    )
    # Relative deadlines counted from the plan's start (seed §12 利用三年左右的时间, §18 三年内, §19 分三年).
    relative_deadline_re: str = (
        r"(?:利用|用|在)?(?P<n>[一二两三四五\d])\s*年(?:左右)?(?:的)?(?:时间|内)|分(?P<n2>[二两三四五\d])\s*年"
    )
    milestone_verbs_re: str = r"完成|建成(?!区)|实现"

    def compiled(self) -> CompiledFormat:
        return CompiledFormat(self)


class CompiledFormat:
    """Regexes of a format, compiled once."""

    def __init__(self, fmt: PlanFormat):
        self.fmt = fmt
        self.sections = [re.compile(r) for r in fmt.section_res]
        self.measures = [re.compile(r) for r in fmt.measure_res]
        keys = (*fmt.lead_leader_keys, *fmt.lead_unit_keys, *fmt.member_unit_keys, *fmt.deadline_keys)
        self.key_alt = _alt(keys)
        self.key = re.compile(rf"(?P<key>{self.key_alt})\s*[:：]\s*")
        self.block_start = re.compile(rf"[（(]\s*(?:{self.key_alt})\s*[:：]")
        self.key_line = re.compile(rf"^(?:{self.key_alt})\s*[:：]")
        self.prose = [re.compile(r) for r in fmt.prose_res]
        self.chrome = [re.compile(r) for r in fmt.chrome_res]
        self.title = re.compile(fmt.title_re)
        self.issuer = re.compile(fmt.issuer_re)
        self.date = re.compile(fmt.date_re)
        self.appendix = re.compile(fmt.appendix_re)
        self.collective = [re.compile(r) for r in fmt.collective_res]
        self.ignore_number = re.compile("|".join(f"(?:{r})" for r in fmt.ignore_number_res))
        unit_alt = _alt(fmt.units)
        self.quantity = re.compile(
            r"(?<![\d.A-Za-z])(?P<value>\d+(?:\.\d+)?)(?:\s*[-~～—至到]\s*(?P<upper>\d+(?:\.\d+)?))?\s*"
            rf"(?P<unit>{DENSITY_UNIT}|{unit_alt})"
            r"(?P<suffix>以上|以下|以内|左右)?"
        )
        self.number = re.compile(r"(?<![\d.])\d+(?:\.\d+)?")
        self.recurrence = [(re.compile(r), kind) for r, kind in fmt.recurrence_words]
        self.year = re.compile(
            r"(?:到|至|于|在)?\s*(?P<y>(?:19|20)\d{2})\s*年\s*(?:(?P<m>\d{1,2})\s*月\s*)?(?:份)?"
            r"(?P<tail>(?:年底|底|末)?(?:前|以前|之前)|年底|底|末|内)?"
        )
        fyp = _alt(FIVE_YEAR_PLANS)
        self.five_year = re.compile(rf"(?:到|至)?[“\"‘']?(?P<fyp>{fyp})[”\"’']?(?:期末|末|期间|时期)")
        self.relative = re.compile(fmt.relative_deadline_re)
        self.milestone_verbs = re.compile(fmt.milestone_verbs_re)
        self.leader_titles = re.compile(
            rf"^(?P<pos>.*(?:{_alt(LEADER_TITLES)}))(?P<name>[\u4e00-\u9fff·]{{2,4}})$"
        )
        self.scopes = [(scope, re.compile(r)) for scope, r in SCOPE_RES]


# Heading shapes shared by the formats.
SECTION_CN = r"^(?P<num>[一二三四五六七八九十]{1,3})\s*、\s*(?P<title>[^。；;]{2,60}?)\s*[。]?$"
SECTION_CN_PAREN = r"^[（(]\s*(?P<num>[一二三四五六七八九十]{1,3})\s*[）)]\s*(?P<title>[^。；;]{2,60}?)\s*[。]?$"
MEASURE_DOT = r"^(?P<num>\d{1,3})\s*[.．](?!\d)\s*(?P<rest>\S.*)$"
MEASURE_DOT_OR_COMMA = r"^(?P<num>\d{1,3})\s*[.．、](?!\d)\s*(?P<rest>\S.*)$"
MEASURE_CN_PAREN = r"^[（(]\s*(?P<num>[一二三四五六七八九十]{1,3})\s*[）)]\s*(?P<rest>\S.*)$"
MEASURE_NUM_PAREN = r"^[（(]\s*(?P<num>\d{1,3})\s*[）)]\s*(?P<rest>\S.*)$"

ZHUZHOU = PlanFormat(
    name="zhuzhou",
    label=_("株洲式：一、部分 / 1. 措施（全文连续编号），括注牵头领导、牵头单位、成员单位"),
    section_res=(SECTION_CN,),
    measure_res=(MEASURE_DOT,),
)

FORMATS: dict[str, PlanFormat] = {}
DEFAULT_FORMAT = "zhuzhou"


def register_format(fmt: PlanFormat) -> PlanFormat:
    FORMATS[fmt.name] = fmt
    return fmt


def get_format(name: str) -> PlanFormat:
    from .errors import PlanImportError

    try:
        return FORMATS[name]
    except KeyError:
        from django.utils.translation import gettext

        raise PlanImportError(
            gettext("未知的文档格式“%(name)s”，可用格式：%(names)s") % {"name": name, "names": "、".join(FORMATS)}
        ) from None


register_format(ZHUZHOU)
register_format(
    replace(
        ZHUZHOU,
        name="cn_arabic",
        label=_("一、部分 / 1、或 1. 措施（各部分可重新编号）"),
        measure_res=(MEASURE_DOT_OR_COMMA,),
        numbering="per_section",
    )
)
register_format(
    replace(
        ZHUZHOU,
        name="cn_paren",
        label=_("一、部分 / （一）措施，责任单位、配合单位、完成时限另起一行"),
        measure_res=(MEASURE_CN_PAREN,),
        numbering="per_section",
    )
)
register_format(
    replace(
        ZHUZHOU,
        name="paren_arabic",
        label=_("（一）部分 / 1、或（1）措施"),
        section_res=(SECTION_CN_PAREN,),
        measure_res=(MEASURE_DOT_OR_COMMA, MEASURE_NUM_PAREN),
        numbering="per_section",
    )
)

