"""The demo city's departments and collaborating organisations, modelled on Guiyang's.

Municipal departments carry short codes (`gongan`, `scjg`, …) that also name their source
databases; a district's counterpart is `<district code>.<code>`. At city scale there are 50
municipal departments and 46 in each of the ten districts and counties: 510 in all.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from zhuyun.core.divisions import Division, DivisionLevel, guiyang_divisions
from zhuyun.demo.scale import Scale


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    short_name: str


@dataclass(frozen=True)
class _Function:
    """One government function: its municipal department and, where one exists, the form
    of its district counterpart (`{d}` stands for the district's name)."""

    code: str
    city_name: str
    short_name: str
    district_name: str | None


# Ordered by how much the demo needs them: the smaller scales take the first few.
FUNCTIONS: tuple[_Function, ...] = (
    _Function("dsj", "贵阳市大数据发展管理局", "大数据", "{d}大数据发展管理局"),
    _Function("gongan", "贵阳市公安局", "公安", "贵阳市公安局{d}分局"),
    _Function("scjg", "贵阳市市场监督管理局", "市场监管", "{d}市场监督管理局"),
    _Function("rsj", "贵阳市人力资源和社会保障局", "人社", "{d}人力资源和社会保障局"),
    _Function("mzj", "贵阳市民政局", "民政", "{d}民政局"),
    _Function("wjw", "贵阳市卫生健康委员会", "卫健", "{d}卫生健康局"),
    _Function("zjj", "贵阳市住房和城乡建设局", "住建", "{d}住房和城乡建设局"),
    _Function("zrzy", "贵阳市自然资源和规划局", "自然资源", "贵阳市自然资源和规划局{d}分局"),
    _Function("sthj", "贵阳市生态环境局", "生态环境", "贵阳市生态环境局{d}分局"),
    _Function("jtj", "贵阳市交通运输局", "交通", "{d}交通运输局"),
    _Function("cgj", "贵阳市综合行政执法局", "城管", "{d}综合行政执法局"),
    _Function("jyj", "贵阳市教育局", "教育", "{d}教育局"),
    _Function("swj", "国家税务总局贵阳市税务局", "税务", "国家税务总局贵阳市{d}税务局"),
    _Function("ybj", "贵阳市医疗保障局", "医保", "{d}医疗保障局"),
    _Function("zwfw", "贵阳市政务服务中心", "政务服务", "{d}政务服务中心"),
    _Function("sfj", "贵阳市司法局", "司法", "{d}司法局"),
    _Function("fgw", "贵阳市发展和改革委员会", "发改", "{d}发展和改革局"),
    _Function("gxj", "贵阳市工业和信息化局", "工信", "{d}工业和信息化局"),
    _Function("czj", "贵阳市财政局", "财政", "{d}财政局"),
    _Function("sjj", "贵阳市审计局", "审计", "{d}审计局"),
    _Function("tjj", "贵阳市统计局", "统计", "{d}统计局"),
    _Function("nyj", "贵阳市农业农村局", "农业农村", "{d}农业农村局"),
    _Function("slj", "贵阳市水务管理局", "水务", "{d}水务管理局"),
    _Function("wlj", "贵阳市文化和旅游局", "文旅", "{d}文体旅游局"),
    _Function("yjj", "贵阳市应急管理局", "应急", "{d}应急管理局"),
    _Function("tyjr", "贵阳市退役军人事务局", "退役军人", "{d}退役军人事务局"),
    _Function("mzzj", "贵阳市民族宗教事务委员会", "民宗", "{d}民族宗教事务局"),
    _Function("gzw", "贵阳市人民政府国有资产监督管理委员会", "国资", "{d}国有资产监督管理局"),
    _Function("xfj", "贵阳市信访局", "信访", "{d}信访局"),
    _Function("swuj", "贵阳市商务局", "商务", "{d}商务局"),
    _Function("lyj", "贵阳市林业局", "林业", "{d}林业局"),
    _Function("tyj", "贵阳市体育局", "体育", "{d}体育事业发展中心"),
    _Function("xfjy", "贵阳市消防救援支队", "消防", "{d}消防救援大队"),
    _Function("qxj", "贵阳市气象局", "气象", "{d}气象局"),
    _Function("daj", "贵阳市档案馆", "档案", "{d}档案馆"),
    _Function("jrj", "贵阳市地方金融监督管理局", "金融", "{d}金融服务中心"),
    _Function("jgsw", "贵阳市机关事务管理局", "机关事务", "{d}机关事务服务中心"),
    _Function("lsj", "贵阳市粮食和物资储备局", "粮储", "{d}粮食和物资储备局"),
    _Function("gxs", "贵阳市供销合作社", "供销", "{d}供销合作社"),
    _Function("cl", "贵阳市残疾人联合会", "残联", "{d}残疾人联合会"),
    _Function("fl", "贵阳市妇女联合会", "妇联", "{d}妇女联合会"),
    _Function("tsw", "共青团贵阳市委员会", "共青团", "共青团{d}委员会"),
    _Function("zgh", "贵阳市总工会", "工会", "{d}总工会"),
    _Function("kjj", "贵阳市科学技术局", "科技", "{d}科学技术局"),
    _Function("xczx", "贵阳市乡村振兴局", "乡村振兴", "{d}乡村振兴局"),
    _Function("ggzy", "贵阳市公共资源交易中心", "公共资源交易", "{d}公共资源交易中心"),
    _Function("gjj", "贵阳住房公积金管理中心", "公积金", None),
    _Function("tzcj", "贵阳市投资促进局", "投资促进", None),
    _Function("rfb", "贵阳市人民防空办公室", "人防", None),
    _Function("wsb", "贵阳市人民政府外事办公室", "外事", None),
)


def city_departments(scale: Scale) -> list[DepartmentSpec]:
    """The municipal departments this scale builds."""
    return [
        DepartmentSpec(f.code, f.city_name, f.short_name)
        for f in FUNCTIONS[: scale.city_departments]
    ]


def district_departments(scale: Scale, district: Division) -> list[DepartmentSpec]:
    """A district's (or county's) departments: counterparts of the municipal ones."""
    with_counterpart = [f for f in FUNCTIONS if f.district_name is not None]
    return [
        DepartmentSpec(
            f"{district.code}.{f.code}",
            (f.district_name or "").format(d=district.name),
            f.short_name,
        )
        for f in with_counterpart[: scale.departments_per_district]
    ]


@dataclass(frozen=True)
class OrganisationSpec:
    """A collaborating organisation (协同单位): hospital, school, utility, property manager,
    social organisation … that handles work orders beside the departments."""

    code: str
    name: str
    kind: str
    district_code: str


# (kind, name pattern): {s} a street's name, {d} its district's name, {n} a number.
_PER_STREET = (
    ("医疗卫生", "{s}社区卫生服务中心"),
    ("养老服务", "{s}养老服务中心"),
    ("教育", "{d}{s}小学"),
    ("物业服务", "贵州{w}物业管理有限公司{s}项目部"),
    ("社会组织", "{s}志愿服务队"),
    ("金融网点", "贵阳银行{s}支行"),
    ("社会组织", "{s}社会工作服务站"),
    ("公共事业", "中国移动贵阳{s}营业厅"),
)
_PER_DISTRICT = (
    ("医疗卫生", "{d}人民医院"),
    ("医疗卫生", "{d}妇幼保健院"),
    ("公共事业", "贵阳水务集团{d}供水营业所"),
    ("公共事业", "贵州电网贵阳{d}供电局"),
    ("公共事业", "贵阳燃气{d}营业所"),
    ("公共事业", "中国电信贵阳{d}分公司"),
    ("公共事业", "中国联通贵阳{d}分公司"),
    ("教育", "{d}第一中学"),
    ("教育", "{d}职业技术学校"),
    ("社会组织", "{d}红十字会"),
    ("社会组织", "{d}慈善总会"),
    ("社会组织", "{d}律师协会"),
)
# Trade names (字号) for the demo's organisations and enterprises.
TRADE_NAMES = (
    "黔诚", "筑安", "林城", "爽爽", "云岭", "黔灵", "甲秀", "南明", "花溪", "山水", "百花",
    "红枫", "阳明", "乌江", "织金", "梵净", "黔山", "贵筑", "金阳", "观山", "宏远", "恒信",
    "安居", "惠民", "和美", "锦绣", "民生", "康宁", "仁和", "兴黔", "鑫源", "华盛", "聚丰",
    "天成", "瑞丰", "同心", "汇通", "嘉禾",
)  # fmt: skip
_FILL = (
    ("物业服务", "贵州{w}{v}物业服务有限公司"),
    ("社会组织", "贵阳市{w}{v}公益服务中心"),
    ("社会组织", "贵阳市{w}{v}社区服务协会"),
    ("医疗卫生", "贵阳{w}{v}诊所"),
    ("教育", "贵阳市{w}{v}幼儿园"),
)


def collaborating_organisations(scale: Scale, seed: int) -> Iterator[OrganisationSpec]:
    """`scale.organisations` organisations, deterministic by seed, with unique names."""
    rng = random.Random(seed * 104729)
    streets = guiyang_divisions(DivisionLevel.STREET)
    districts = {d.code: d for d in guiyang_divisions(DivisionLevel.DISTRICT)}
    candidates: list[tuple[str, str, str]] = []
    for district in districts.values():
        candidates.extend(
            (kind, pattern.format(d=district.name, s="", w="", n=""), district.code)
            for kind, pattern in _PER_DISTRICT
        )
    for street in streets:
        district = districts[street.parent_code]
        for kind, pattern in _PER_STREET:
            name = pattern.format(d=district.name, s=street.name, w=rng.choice(TRADE_NAMES), n="")
            candidates.append((kind, name, district.code))
    rng.shuffle(candidates)
    seen: set[str] = set()
    made = 0
    for kind, name, district_code in candidates:
        if made >= scale.organisations:
            return
        if name in seen:
            continue
        seen.add(name)
        made += 1
        yield OrganisationSpec(f"org{made:05d}", name, kind, district_code)
    district_codes = sorted(districts)
    while made < scale.organisations:
        kind, pattern = rng.choice(_FILL)
        name = pattern.format(w=rng.choice(TRADE_NAMES), v=rng.choice(TRADE_NAMES))
        if name in seen:
            continue
        seen.add(name)
        made += 1
        yield OrganisationSpec(f"org{made:05d}", name, kind, rng.choice(district_codes))
