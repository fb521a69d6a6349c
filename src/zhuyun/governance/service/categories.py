"""Work-order categories (事项类别), urgencies and the SLA of each: what the classifier
predicts, what the duty matrix maps to units, what the SLA timers count.

Each category names the government function that handles it (the demo city's department
codes: `cgj` 综合行政执法, `jtj` 交通 …, tried in order: the first the city has) or the
street office (`street`), and the kind of collaborating organisation (协同单位) asked to
assist, if any.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    functions: tuple[str, ...]  # department function codes, first existing wins; "street"
    assist_kind: str | None  # kind of collaborating organisation asked to assist
    working_days: int  # SLA of a normal order, in working days
    description: str


CATEGORIES: tuple[Category, ...] = (
    Category(
        "sanitation", "市容环境", ("cgj", "zjj"), None, 3, "垃圾堆放、乱贴乱画、公共设施脏污损坏"
    ),
    Category(
        "traffic", "道路交通", ("jtj", "gongan"), None, 5, "路面坑洼、交通信号灯、违停、公交站点"
    ),
    Category("noise", "噪音扰民", ("sthj", "gongan"), None, 3, "施工、商铺、广场舞、夜间噪音"),
    Category(
        "illegal_building",
        "违章建筑",
        ("zrzy", "cgj", "zjj"),
        None,
        10,
        "私搭乱建、违法加层、占用公共空间建设",
    ),
    Category(
        "street_vending", "占道经营", ("cgj", "scjg"), None, 3, "流动摊贩、店外经营、夜市占道"
    ),
    Category(
        "utilities", "供水供电", ("slj", "zjj"), "公共事业", 2, "停水停电、水管爆裂、水压不足、燃气"
    ),
    Category(
        "property", "物业纠纷", ("street",), "物业服务", 5, "物业服务、电梯故障、小区管理、维修基金"
    ),
    Category("labour", "劳动保障", ("rsj",), None, 10, "拖欠工资、劳动合同、社保缴纳"),
    Category("food_safety", "食品安全", ("scjg",), None, 5, "过期食品、无证餐饮、卫生状况"),
    Category(
        "public_security",
        "治安隐患",
        ("gongan",),
        None,
        2,
        "可疑人员、盗窃、打架斗殴、消防通道堵塞",
    ),
    Category(
        "social_assistance",
        "社会救助",
        ("mzj",),
        "养老服务",
        5,
        "困难群众、独居老人、低保、流浪乞讨",
    ),
    Category(
        "health",
        "医疗卫生",
        ("wjw", "scjg"),
        "医疗卫生",
        5,
        "诊所违规、医疗服务、病媒生物、疫苗接种",
    ),
)
BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}
BY_NAME: dict[str, Category] = {c.name: c for c in CATEGORIES}


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    CRITICAL = "critical"


URGENCY_LABELS_ZH: dict[str, str] = {"normal": "一般", "urgent": "紧急", "critical": "特急"}

# The SLA of an urgent order is this many working days (at least one); a critical one is
# counted in hours, the clock running day and night.
URGENT_WORKING_DAYS = 1
CRITICAL_HOURS = 4


def category(code: str) -> Category:
    return BY_CODE[code]


def is_category(code: str) -> bool:
    return code in BY_CODE
