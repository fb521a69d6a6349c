"""A demo corpus of 12345 work-order texts in Chinese, generated from templates (seeded).

Each category has its own problems and objects, phrased the ways callers phrase them, set in
the demo city's streets and communities; a share of texts is deliberately vague or mixes two
problems, and urgency is carried by words callers use ("已有人受伤", "请尽快") rather than
fixed per category — so classifying them is a real task, not a lookup. Deterministic by seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from zhuyun.core.divisions import DivisionLevel, guiyang_divisions

PLACES = (
    "小区门口",
    "菜市场旁边",
    "学校附近",
    "公交站台",
    "十字路口",
    "我家楼下",
    "商业街",
    "河边步道",
    "老旧小区里",
    "地铁站出口",
    "广场",
    "医院门口",
    "工地旁",
    "背街小巷",
    "单元楼道",
    "停车场",
    "农贸市场",
    "城中村",
    "新建小区",
    "幼儿园对面",
)
ROADS = (
    "中华北路",
    "遵义路",
    "宝山南路",
    "北京路",
    "延安中路",
    "花溪大道",
    "长岭南路",
    "金阳南路",
    "黔灵西路",
    "解放路",
    "市府路",
    "沙冲路",
    "瑞金南路",
    "南厂路",
)
TIMES = (
    "最近一周",
    "每天晚上",
    "今天早上",
    "连续三天",
    "半个月了",
    "昨天夜里",
    "一直以来",
    "这几天",
    "周末",
    "凌晨",
)
OPENERS = (
    "您好，",
    "我要反映，",
    "市民来电反映：",
    "来电人称，",
    "网格员巡查发现：",
    "",
    "投诉：",
    "请帮忙处理，",
    "",
)
CLOSERS = (
    "希望相关部门处理。",
    "请尽快派人来看看。",
    "多次反映没有解决。",
    "影响居民生活。",
    "请有关部门核实。",
    "",
    "谢谢。",
    "希望能给个答复。",
)

# category → (problems, objects); a problem may hold {o}, an object of the category.
PROBLEMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sanitation": (
        (
            "{o}堆满了垃圾没人清运",
            "{o}到处是小广告",
            "{o}污水横流臭气熏天",
            "{o}垃圾桶破损",
            "有人往{o}乱倒建筑垃圾",
            "{o}的公厕很脏没人打扫",
            "{o}落叶和垃圾好几天没扫",
        ),
        ("垃圾站", "绿化带", "人行道", "楼道", "垃圾桶", "路边", "公共厕所"),
    ),
    "traffic": (
        (
            "{o}有个大坑",
            "{o}的红绿灯坏了",
            "{o}被车辆乱停乱放堵死",
            "{o}井盖松动",
            "{o}没有斑马线过马路很危险",
            "{o}路面塌陷",
            "公交车在{o}不停靠",
        ),
        ("路面", "人行横道", "路口", "公交站", "消防通道旁的车道", "匝道", "辅道"),
    ),
    "noise": (
        (
            "{o}噪音太大吵得睡不着",
            "{o}半夜还在施工",
            "{o}音响开得很大",
            "{o}天天扰民",
            "{o}的声音影响孩子学习",
            "{o}早上五点就开始响",
        ),
        ("工地", "广场舞", "酒吧", "KTV", "装修", "商铺喇叭", "夜市"),
    ),
    "illegal_building": (
        (
            "有人在{o}私搭乱建",
            "{o}违法加盖了一层",
            "{o}搭建彩钢棚",
            "{o}占用公共绿地建房",
            "邻居在{o}扩建违章建筑",
            "{o}未批先建",
        ),
        ("楼顶", "小区绿地", "院子里", "一楼外墙", "天台", "公共空地"),
    ),
    "street_vending": (
        (
            "{o}占道经营",
            "{o}摆摊占了人行道",
            "{o}把货物堆到马路上",
            "{o}流动摊贩很多",
            "{o}夜市摊位占道",
            "{o}店外经营影响通行",
        ),
        ("水果摊", "烧烤摊", "早餐店", "五金店", "服装店", "小商贩"),
    ),
    "utilities": (
        (
            "{o}停了一整天",
            "{o}爆裂了水漫到路上",
            "{o}水压不足",
            "{o}突然停电没有通知",
            "{o}有燃气味",
            "{o}电线垂落",
            "{o}水发黄不能喝",
        ),
        ("自来水", "供水管", "水管", "小区电路", "变压器", "燃气管道", "路灯电缆"),
    ),
    "property": (
        (
            "{o}坏了物业不修",
            "物业{o}",
            "{o}收费不合理",
            "{o}长期没人管",
            "业委会和物业因{o}起冲突",
            "{o}维修基金用不了",
        ),
        ("电梯", "小区大门", "楼顶防水", "门禁", "物业费", "公共维修"),
    ),
    "labour": (
        (
            "{o}拖欠工资三个月",
            "{o}不签劳动合同",
            "{o}不给缴社保",
            "{o}违法辞退员工",
            "{o}强迫加班不给加班费",
            "在{o}干活的农民工讨薪",
        ),
        ("老板", "建筑公司", "餐饮店", "工厂", "劳务公司", "工地包工头"),
    ),
    "food_safety": (
        (
            "{o}卖过期食品",
            "{o}卫生状况很差",
            "{o}没有营业执照",
            "在{o}吃饭后腹泻",
            "{o}用地沟油",
            "{o}的肉来路不明",
        ),
        ("超市", "小餐馆", "学校食堂", "外卖店", "熟食店", "奶茶店"),
    ),
    "public_security": (
        (
            "{o}有可疑人员徘徊",
            "{o}发生盗窃",
            "{o}有人打架斗殴",
            "{o}被堵塞",
            "{o}有人聚众赌博",
            "{o}经常有人撬车",
        ),
        ("小区", "楼道", "停车场", "消防通道", "出租屋", "网吧"),
    ),
    "social_assistance": (
        (
            "{o}生活困难需要帮助",
            "{o}无人照顾",
            "{o}申请低保没有结果",
            "{o}在街头流浪乞讨",
            "{o}家里断粮了",
            "{o}需要临时救助",
        ),
        ("独居老人", "残疾人", "困难家庭", "留守儿童", "流浪人员", "孤寡老人"),
    ),
    "health": (
        (
            "{o}无证行医",
            "{o}乱收费",
            "{o}蚊虫老鼠很多",
            "{o}疫苗接种排队太久",
            "{o}医生态度恶劣",
            "{o}的医疗废物乱丢",
        ),
        ("诊所", "社区卫生服务中心", "药店", "医院", "卫生室", "牙科诊所"),
    ),
}
URGENT_MARKS = ("情况比较紧急，", "请尽快处理，", "已经影响出行，", "老人小孩很多，")
CRITICAL_MARKS = (
    "已经有人受伤！",
    "非常危险，随时可能出事！",
    "十分紧急，请马上处理！",
    "现场有安全隐患，请立即派人！",
)
VAGUE = ("这个问题一直存在", "{p}这边情况很糟糕", "反映的问题没人管", "附近居民意见很大")


@dataclass(frozen=True)
class Sample:
    text: str
    category: str
    urgency: str
    address: str


def _addresses(rng: random.Random) -> list[str]:
    streets = guiyang_divisions(DivisionLevel.STREET)
    return [
        f"{s.name}{rng.choice(ROADS)}{rng.randrange(1, 300)}号" for s in rng.sample(streets, 60)
    ]


def generate(count: int, seed: int = 2024) -> Iterator[Sample]:
    """`count` samples spread evenly over the categories, deterministic by seed."""
    rng = random.Random(seed)
    addresses = _addresses(rng)
    codes = sorted(PROBLEMS)
    for n in range(count):
        code = codes[n % len(codes)]
        problems, objects = PROBLEMS[code]
        place = rng.choice(PLACES)
        problem = rng.choice(problems).format(o=rng.choice(objects))
        roll = rng.random()
        urgency = "critical" if roll < 0.08 else "urgent" if roll < 0.3 else "normal"
        mark = (
            rng.choice(CRITICAL_MARKS)
            if urgency == "critical"
            else rng.choice(URGENT_MARKS)
            if urgency == "urgent"
            else ""
        )
        if urgency != "normal" and rng.random() < 0.15:
            mark = ""  # the operator judged it urgent; the caller did not say so
        elif urgency == "normal" and rng.random() < 0.05:
            mark = rng.choice(URGENT_MARKS)  # callers exaggerate
        address = rng.choice(addresses)
        parts = [
            rng.choice(OPENERS),
            rng.choice(TIMES),
            address if rng.random() < 0.5 else "",
            place,
            problem,
            "，",
        ]
        if rng.random() < 0.12:  # a vague complaint, or a second problem of another category
            other = rng.choice(codes)
            extra_problems, extra_objects = PROBLEMS[other]
            parts.append(
                rng.choice(VAGUE).format(p=place) + "，"
                if rng.random() < 0.5
                else rng.choice(extra_problems).format(o=rng.choice(extra_objects)) + "，"
            )
        parts += [mark, rng.choice(CLOSERS)]
        text = "".join(parts).replace("，，", "，").rstrip("，")
        yield Sample(text=text, category=code, urgency=urgency, address=address)
