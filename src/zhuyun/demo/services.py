"""The demo city's 一网通办: workflows, service items of several departments (企业开办 as a
joint matter run in parallel), the grants that let the handling units fetch materials from
other departments, handler accounts, and a history of cases — submitted, worked, finished
and rated through the same services a person uses, so it is all in the ledger.

Materials point at the catalog resources bound to the departments' own databases (people,
social insurance, births, marriages, business licences …) and at the certificate library.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.core.calendar import china_today
from zhuyun.core.errors import Problem
from zhuyun.core.ledger import SYSTEM
from zhuyun.exchange.models import Binding
from zhuyun.exchange.service import applications
from zhuyun.identity import service as identity
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL, Principal, Role
from zhuyun.identity.service import StaffDraft
from zhuyun.services.service import (
    autofill,
    cases,
    certificate_link,
    engine,
    items,
    ratings,
    workflows,
)
from zhuyun.services.service.items import ItemDraft, MaterialDraft

PasswordMaker = Callable[[random.Random], str]

#: (table or "library", key field, where the key comes from, info items, fixed filters)
_Fetch = tuple[str, str, str, tuple[str, ...], dict[str, str]]
PERSON: _Fetch = (
    "people",
    "id_number",
    "applicant.id_number",
    ("name", "sex", "birth_date", "ethnicity", "address"),
    {},
)
INSURANCE: _Fetch = (
    "social_insurance",
    "id_number",
    "applicant.id_number",
    ("insurance_type", "status", "started_on", "monthly_base"),
    {},
)
LOW_INCOME: _Fetch = (
    "low_income",
    "id_number",
    "applicant.id_number",
    ("kind", "monthly_amount", "since"),
    {},
)
BIRTH: _Fetch = (
    "births",
    "mother_id_number",
    "applicant.id_number",
    ("certificate_no", "child_name", "birth_date", "hospital"),
    {},
)
MARRIAGE: _Fetch = (
    "marriages",
    "wife_id_number",
    "applicant.id_number",
    ("certificate_no", "registered_on"),
    {},
)
ENTERPRISE: _Fetch = (
    "enterprises",
    "credit_code",
    "applicant.credit_code",
    ("name", "status", "address", "legal_rep_name", "industry"),
    {},
)
LICENCE: _Fetch = (
    "library",
    "holder_id",
    "applicant.credit_code",
    ("number", "kind_name", "holder_name", "fields_json", "valid_until"),
    {"kind": "YYZZ"},
)
HOUSEHOLD_CERT: _Fetch = (
    "library",
    "holder_id",
    "applicant.id_number",
    ("number", "kind_name", "holder_name", "fields_json"),
    {"kind": "HJZM"},
)


@dataclass(frozen=True)
class _Item:
    code: str
    name: str
    item_type: str
    unit: str
    statutory: int
    promised: int
    depth: str
    workflow: str
    legal_basis: str
    conditions: str
    life_events: tuple[str, ...]
    materials: tuple[tuple[str, str, _Fetch | None], ...]  # (name, kind, fetch)
    form: tuple[dict[str, Any], ...] = ()
    applicants: tuple[str, ...] = ("person",)
    fee_fen: int = 0
    fee_basis: str | None = None
    immediate: bool = False
    joint: bool = False
    power: str | None = None
    certificate: str | None = None
    optional: tuple[str, ...] = ()  # materials only some applicants have


def _field(
    name: str, label: str, required: bool = True, prefill: tuple[int, str] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "label": label, "required": required}
    if prefill:
        spec["prefill"] = list(prefill)
    return spec


ITEMS: tuple[_Item, ...] = (
    _Item(
        "520100-SCJG-XK-0001",
        "企业开办（多证合一）",
        "行政许可",
        "scjg",
        15,
        1,
        "全程网办",
        "enterprise_startup",
        "《中华人民共和国市场主体登记管理条例》第十九条；《国务院办公厅关于进一步优化营商环境"
        "降低市场主体制度性交易成本的意见》",
        "申请人为拟设立企业的法定代表人，具有完全民事行为能力；企业名称经自主申报通过。"
        "营业执照、税务登记、社保登记、公章刻制和银行开户一表申请、并联办理、一次办结。",
        ("开办企业",),
        (
            ("法定代表人身份信息", "shared", PERSON),
            ("法定代表人参保信息", "shared", INSURANCE),
            ("住所（经营场所）使用证明", "upload", None),
            ("公司章程", "upload", None),
        ),
        (
            _field("name", "企业名称"),
            _field("entity_type", "企业类型"),
            _field("registered_capital", "注册资本"),
            _field("address", "住所"),
            _field("business_scope", "经营范围"),
            _field("legal_rep_name", "法定代表人", prefill=(1, "name")),
            _field("established_on", "成立日期", required=False),
        ),
        joint=True,
        power="XK-SCJG-001",
        certificate="YYZZ",
    ),
    _Item(
        "520100-SCJG-XK-0002",
        "营业执照变更登记",
        "行政许可",
        "scjg",
        15,
        3,
        "全程网办",
        "standard",
        "《中华人民共和国市场主体登记管理条例》第二十四条",
        "市场主体变更登记事项的，应当自作出变更决议、决定或者法定变更事项发生之日起30日内申请。",
        ("企业变更",),
        (
            ("营业执照", "certificate", LICENCE),
            ("市场主体登记信息", "shared", ENTERPRISE),
            ("变更决议或决定", "upload", None),
        ),
        (
            _field("change", "变更事项"),
            _field("name", "企业名称", prefill=(2, "name")),
            _field("address", "住所", prefill=(2, "address")),
        ),
        applicants=("legal",),
        power="XK-SCJG-002",
    ),
    _Item(
        "520100-SCJG-GG-0001",
        "企业登记信息查询证明",
        "公共服务",
        "scjg",
        1,
        0,
        "全程网办",
        "immediate",
        "《企业信息公示暂行条例》第六条",
        "市场主体查询本企业登记信息并出具证明。",
        ("企业变更",),
        (("市场主体登记信息", "shared", ENTERPRISE),),
        applicants=("legal",),
        immediate=True,
    ),
    _Item(
        "520100-RSJ-GG-0001",
        "城乡居民基本养老保险参保登记",
        "公共服务",
        "rsj",
        15,
        3,
        "全程网办",
        "standard",
        "《中华人民共和国社会保险法》第二十条；《国务院关于建立统一的城乡居民基本养老保险制度的意见》",
        "年满16周岁（不含在校学生），非国家机关和事业单位工作人员及不属于职工基本养老保险"
        "制度覆盖范围的城乡居民，可在户籍地参保。",
        ("社会保障", "退休养老"),
        (
            ("居民身份证", "shared", PERSON),
            ("居民户籍证明", "certificate", HOUSEHOLD_CERT),
            ("最低生活保障证明（代缴对象）", "shared", LOW_INCOME),
        ),
        (
            _field("name", "姓名", prefill=(1, "name")),
            _field("address", "户籍地址", prefill=(1, "address")),
            _field("contribution_level", "缴费档次"),
        ),
        power="GG-RSJ-001",
        optional=("最低生活保障证明（代缴对象）",),
    ),
    _Item(
        "520100-RSJ-JF-0001",
        "失业保险金申领",
        "行政给付",
        "rsj",
        20,
        5,
        "全程网办",
        "standard",
        "《中华人民共和国社会保险法》第四十五条；《失业保险条例》第十四条",
        "失业前用人单位和本人已经缴纳失业保险费满一年，非因本人意愿中断就业，"
        "已经进行失业登记并有求职要求。",
        ("就业", "社会保障"),
        (
            ("居民身份证", "shared", PERSON),
            ("参保缴费记录", "shared", INSURANCE),
            ("解除或终止劳动合同证明", "upload", None),
        ),
        (_field("bank_account", "社会保障卡金融账户"), _field("reason", "失业原因")),
        power="JF-RSJ-001",
    ),
    _Item(
        "520100-RSJ-GG-0002",
        "个人参保证明打印",
        "公共服务",
        "rsj",
        1,
        0,
        "全程网办",
        "immediate",
        "《中华人民共和国社会保险法》第七十四条",
        "参保人员查询并打印本人参保证明。",
        ("社会保障", "就业"),
        (("参保缴费记录", "shared", INSURANCE),),
        (
            _field("insurance_type", "险种", prefill=(1, "insurance_type")),
            _field("started_on", "参保日期", prefill=(1, "started_on")),
            _field("status", "参保状态", prefill=(1, "status")),
            _field("employer_name", "参保单位", required=False),
        ),
        immediate=True,
        certificate="SBCBZM",
    ),
    _Item(
        "520100-MZJ-JF-0001",
        "最低生活保障申请",
        "行政给付",
        "mzj",
        30,
        20,
        "最多跑一次",
        "standard",
        "《社会救助暂行办法》第九条至第十二条",
        "共同生活的家庭成员人均收入低于当地最低生活保障标准，且符合家庭财产状况规定的家庭。",
        ("社会保障",),
        (
            ("申请人身份信息", "shared", PERSON),
            ("就业与参保情况", "shared", INSURANCE),
            ("家庭收入情况说明", "upload", None),
        ),
        (_field("members", "共同生活家庭成员人数"), _field("income", "家庭月收入（元）")),
        power="JF-MZJ-001",
    ),
    _Item(
        "520100-GAJ-QR-0001",
        "出生登记（新生儿落户）",
        "行政确认",
        "gongan",
        10,
        3,
        "全程网办",
        "standard",
        "《中华人民共和国户口登记条例》第七条",
        "婴儿出生后一个月以内，由户主、亲属、抚养人或者邻居向婴儿常住地户口登记机关申报出生登记。",
        ("出生", "婚育"),
        (
            ("出生医学证明", "shared", BIRTH),
            ("结婚证", "shared", MARRIAGE),
            ("父母居民身份证", "shared", PERSON),
        ),
        (
            _field("child_name", "新生儿姓名", prefill=(1, "child_name")),
            _field("relation", "申报人与新生儿关系"),
        ),
        power="QR-GAJ-001",
    ),
    _Item(
        "520100-ZRZY-QR-0001",
        "不动产转移登记（二手房买卖）",
        "行政确认",
        "zrzy",
        30,
        5,
        "最多跑一次",
        "standard",
        "《不动产登记暂行条例》第十四条；《不动产登记暂行条例实施细则》第三十八条",
        "买卖双方共同申请；房屋已取得不动产权证书，无查封、无异议登记。",
        ("住房",),
        (
            ("买受人身份信息", "shared", PERSON),
            ("婚姻状况", "shared", MARRIAGE),
            ("不动产买卖合同", "upload", None),
            ("完税凭证", "upload", None),
        ),
        (
            _field("property_address", "坐落"),
            _field("unit_no", "不动产单元号"),
            _field("area_sqm", "面积（平方米）"),
            _field("ownership_type", "权利类型", required=False),
            _field("land_use", "用途", required=False),
        ),
        fee_fen=8000,
        fee_basis="《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》：住宅每件80元",
        power="QR-ZRZY-001",
        certificate="BDCQZ",
    ),
    _Item(
        "520100-WJW-XK-0001",
        "医师执业注册",
        "行政许可",
        "wjw",
        20,
        10,
        "全程网办",
        "standard",
        "《中华人民共和国医师法》第十三条；《医师执业注册管理办法》",
        "取得医师资格，经拟执业的医疗卫生机构同意，身体健康能够胜任医师执业活动。",
        ("就业", "医疗"),
        (
            ("居民身份证", "shared", PERSON),
            ("医师资格证书", "upload", None),
            ("拟执业机构聘用证明", "upload", None),
        ),
        (_field("practice_category", "执业类别"), _field("institution", "执业机构")),
        power="XK-WJW-001",
    ),
    _Item(
        "520100-ZJJ-JF-0001",
        "公共租赁住房申请",
        "行政给付",
        "zjj",
        20,
        15,
        "最多跑一次",
        "standard",
        "《公共租赁住房管理办法》第七条",
        "在本地无住房或者住房面积低于规定标准，收入、财产低于规定标准。",
        ("住房",),
        (
            ("申请人身份信息", "shared", PERSON),
            ("低保或收入情况", "shared", LOW_INCOME),
            ("社会保险缴纳情况", "shared", INSURANCE),
            ("住房情况承诺书", "upload", None),
        ),
        (_field("household_size", "家庭人数"), _field("current_housing", "现住房情况")),
        power="JF-ZJJ-001",
        optional=("低保或收入情况",),
    ),
)

HANDLER_UNITS = ("scjg", "swj", "gongan", "zwfw", "mzj", "wjw", "zjj", "zrzy")  # rsj has one


def _resource_ids(session: Session) -> dict[str, int]:
    found = dict(session.execute(select(Binding.table_name, Binding.resource_id)).all())
    library = certificate_link.library_resource_id(session)
    if library is not None:
        found["library"] = library
    return found


def _handlers(
    session: Session, units: dict[str, OrgUnit], rng: random.Random, password: PasswordMaker
) -> list[tuple[str, str, str, str, str]]:
    accounts = []
    for code in HANDLER_UNITS:
        unit = units.get(code)
        username = f"{code}.handler"
        if unit is None or identity.find_account(session, username) is not None:
            continue
        secret = password(rng)
        name = f"{unit.category or unit.name}经办人"
        identity.create_staff(
            session,
            SYSTEM,
            StaffDraft(
                username=username,
                display_name=name,
                unit_id=unit.id,
                password=secret,
                roles=((Role.CASE_HANDLER, unit.id),),
            ),
        )
        accounts.append((Role.CASE_HANDLER.value, username, secret, unit.name, name))
    return accounts


def _grant(
    session: Session, admin: Principal, unit_id: int, resource_id: int, fields: Sequence[str]
) -> None:
    """The handling unit's grant to read what it fetches, applied for on its behalf by the
    platform admin and approved with the items in clear (the applicant consents each time)."""
    today = china_today()
    draft = applications.ApplicationDraft(
        resource_id,
        list(fields),
        autofill.PURPOSE,
        "《国务院关于加快推进“互联网+政务服务”工作的指导意见》：凡是能通过网络共享复用的材料，"
        "不得要求企业和群众重复提交",
        today + timedelta(days=3 * 365),
        5_000,
        f"demo-services-{unit_id}-{resource_id}",
    )
    try:
        application, created = applications.apply(
            session, replace(admin, unit_id=unit_id), draft, today, 10
        )
    except Problem:
        return  # the unit provides it, or the resource shares these freely
    if created:
        applications.approve(
            session,
            SYSTEM_PRINCIPAL,
            application.id,
            applications.Approval(clear_items=list(fields), max_rows_per_query=100),
        )


def publish_items(session: Session, units: dict[str, OrgUnit]) -> list[str]:
    """Workflows and items, and the grants their fetches need; returns the item codes."""
    for workflow in workflows.BUILTIN:
        items.save_workflow(session, SYSTEM, workflow)
    resources = _resource_ids(session)
    admin_account = identity.find_account(session, "admin")
    admin = identity.principal_for(admin_account) if admin_account else None
    needed: dict[tuple[int, int], set[str]] = {}
    published = []
    for spec in ITEMS:
        unit = units.get(spec.unit)
        if unit is None:
            continue
        materials = []
        for name, kind, fetch in spec.materials:
            required = name not in spec.optional
            if fetch is None or fetch[0] not in resources:
                materials.append(MaterialDraft(name, "upload", required=required))
                continue
            table, key_field, key_source, info, fixed = fetch
            resource_id = resources[table]
            materials.append(
                MaterialDraft(name, kind, resource_id, key_field, key_source, info, fixed, required)
            )
            if table != "library":
                needed.setdefault((unit.id, resource_id), set()).update([*info, key_field])
        items.publish_item(
            session,
            SYSTEM,
            ItemDraft(
                code=spec.code,
                name=spec.name,
                item_type=spec.item_type,
                unit_id=unit.id,
                legal_basis=spec.legal_basis,
                conditions=spec.conditions,
                statutory_days=spec.statutory,
                promised_days=spec.promised,
                online_depth=spec.depth,
                workflow_code=spec.workflow,
                materials=materials,
                life_events=spec.life_events,
                applicant_kinds=spec.applicants,
                fee_fen=spec.fee_fen,
                fee_basis=spec.fee_basis,
                immediate=spec.immediate,
                joint=spec.joint,
                power_code=spec.power,
                certificate_kind=spec.certificate,
                form_fields=spec.form,
            ),
        )
        published.append(spec.code)
    if admin is not None:
        for (unit_id, resource_id), fields in sorted(needed.items()):
            provider = catalog.published_view(session, resource_id).provider_unit_id
            if provider != unit_id:
                _grant(session, admin, unit_id, resource_id, sorted(fields))
    return published


_FORMS: dict[str, dict[str, str]] = {
    "520100-RSJ-JF-0001": {"bank_account": "6217****0021", "reason": "劳动合同期满终止"},
    "520100-WJW-XK-0001": {"practice_category": "临床", "institution": "贵阳市第一人民医院"},
    "520100-RSJ-GG-0001": {"contribution_level": "第三档（500元/年）"},
    "520100-RSJ-GG-0002": {},
    "520100-SCJG-XK-0001": {
        "name": "贵阳筑云示范科技有限公司",
        "entity_type": "有限责任公司（自然人独资）",
        "registered_capital": "50万元人民币",
        "address": "贵州省贵阳市观山湖区林城东路1号",
        "business_scope": "软件开发；信息技术咨询服务",
    },
}


def _png() -> bytes:
    return bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def build_history(
    session: Session, secret_key: str, uploads_dir: Any, citizen_username: str, seed: int
) -> int:
    """A few cases of the demo citizen at every stage: finished and rated (one poorly, which
    opened a rectification), waiting for a correction, in the parallel step, just submitted."""
    from zhuyun.services.service import uploads

    account = identity.find_account(session, citizen_username)
    if account is None:
        return 0
    citizen = identity.principal_for(account)

    def staff(code: str) -> Principal | None:
        found = identity.find_account(session, f"{code}.handler")
        return identity.principal_for(found) if found else None

    def submit(code: str, key: str) -> Any:
        try:
            item = items.get_item(session, code)
        except Problem:
            return None
        case, _ = cases.submit(
            session,
            secret_key,
            citizen,
            cases.Submission(code, _FORMS.get(code, {}), True, f"demo-{seed}-{key}"),
        )
        for material in cases.case_materials(session, case):
            if material.status in ("missing", "pending") and material.required:
                uploads.upload(
                    session,
                    uploads_dir,
                    citizen,
                    case,
                    material.material_id,
                    "材料.png",
                    "image/png",
                    _png(),
                )
        session.flush()
        return case, item

    def work(case: Any, steps: Sequence[str]) -> None:
        for action in steps:
            for task in engine.open_tasks(session, case):
                handler = staff(identity.get_unit(session, task.unit_id).code)
                if handler is None:
                    handler = replace(SYSTEM_PRINCIPAL, unit_id=task.unit_id, via="demo")
                engine.act(
                    session,
                    handler,
                    case,
                    engine.Action(
                        action,
                        "材料齐全，符合法定条件。"
                        if action != "request_correction"
                        else "请补充清晰的材料扫描件。",
                        task.branch,
                    ),
                )
                if case.status != "processing" or action == "request_correction":
                    break

    made = 0
    done = submit("520100-RSJ-GG-0002", "proof")
    if done:
        work(done[0], ["accept", "approve", "issue", "deliver"])
        ratings.rate(session, citizen, done[0], 5, "网上办理，几分钟就拿到了证明。")
        made += 1
    pension = submit("520100-RSJ-GG-0001", "pension")
    if pension:
        work(pension[0], ["accept", "approve", "approve", "issue", "deliver"])
        ratings.rate(session, citizen, pension[0], 2, "审核环节等待时间较长，也没有进度提醒。")
        made += 1
    startup = submit("520100-SCJG-XK-0001", "startup")
    if startup:
        work(startup[0], ["accept"])
        made += 1
    unemployment = submit("520100-RSJ-JF-0001", "unemployment")
    if unemployment:
        work(unemployment[0], ["request_correction"])
        made += 1
    if submit("520100-WJW-XK-0001", "doctor"):
        made += 1
    return made


def build_services(
    session: Session,
    secret_key: str,
    uploads_dir: Any,
    citizen_username: str,
    seed: int,
    password: PasswordMaker,
) -> list[tuple[str, str, str, str, str]]:
    """Everything above; returns the new handler accounts as (role, username, password,
    unit name, display name) for the demo's account list."""
    units = {
        u.code: u for u in session.scalars(select(OrgUnit).where(OrgUnit.kind == "department"))
    }
    rng = random.Random(seed * 104_729)
    accounts = _handlers(session, units, rng, password)
    publish_items(session, units)
    session.commit()
    build_history(session, secret_key, uploads_dir, citizen_username, seed)
    return accounts
