"""Sensible defaults for info items drafted from a source's columns.

When the exchange introspects a table, all it knows of a column is its name and its SQL type.
This module turns that into an info item a data admin only has to check: a Chinese name for
the column names Chinese government databases commonly use, a data type (dates that SQLite or
CSV keep as text are recognised by the column's name), and a sensitivity grade with a mask
kind for personal data — resident ID numbers, names, phones, addresses, bank cards. Unknown
columns keep their own name and are graded internal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zhuyun.catalog.vocab import DataType, Sensitivity
from zhuyun.core.masking import MaskKind

S, I, P = Sensitivity.SENSITIVE, Sensitivity.INTERNAL, Sensitivity.PUBLIC  # noqa: E741
N, ID, PH, AD = MaskKind.NAME, MaskKind.ID_NUMBER, MaskKind.PHONE, MaskKind.ADDRESS


@dataclass(frozen=True)
class ColumnHint:
    """What a column name tells about its info item."""

    name_zh: str
    sensitivity: Sensitivity = Sensitivity.INTERNAL
    mask_kind: MaskKind | None = None
    data_type: DataType | None = None


def _hints(rows: dict[str, tuple[object, ...]]) -> dict[str, ColumnHint]:
    return {field: ColumnHint(*row) for field, row in rows.items()}  # type: ignore[arg-type]


_D, _DT, _INT, _DEC = DataType.DATE, DataType.DATETIME, DataType.INTEGER, DataType.DECIMAL

#: Column names common in the city's department databases.
KNOWN_COLUMNS: dict[str, ColumnHint] = _hints(
    {
        # people
        "id_number": ("公民身份号码", S, ID),
        "name": ("姓名", S, N),
        "sex": ("性别", I),
        "birth_date": ("出生日期", S, None, _D),
        "ethnicity": ("民族", I),
        "nationality": ("国籍", I),
        "phone": ("联系电话", S, PH),
        "mobile": ("手机号码", S, PH),
        "contact_phone": ("联系电话", P),
        "email": ("电子邮箱", S, MaskKind.EMAIL),
        "address": ("地址", S, AD),
        "household_id": ("户号", I),
        "head_id_number": ("户主公民身份号码", S, ID),
        "domicile_division_code": ("户籍地行政区划代码", I),
        "domicile_address": ("户籍地址", S, AD),
        "residence_address": ("居住地址", S, AD),
        "household_address": ("户籍地址", S, AD),
        "members": ("户内人数", I, None, _INT),
        "household_size": ("家庭人口数", I, None, _INT),
        "photo": ("照片", S, MaskKind.FULL, DataType.BINARY),
        "husband_id_number": ("男方公民身份号码", S, ID),
        "wife_id_number": ("女方公民身份号码", S, ID),
        "child_id_number": ("新生儿公民身份号码", S, ID),
        "child_name": ("新生儿姓名", S, N),
        "mother_id_number": ("母亲公民身份号码", S, ID),
        "father_id_number": ("父亲公民身份号码", S, ID),
        "owner_name": ("所有人姓名", S, N),
        "owner_id_number": ("所有人证件号码", S, ID),
        "buyer_name": ("买受人姓名", S, N),
        "buyer_id_number": ("买受人证件号码", S, ID),
        "student_id_number": ("学生公民身份号码", S, ID),
        "student_name": ("学生姓名", S, N),
        "guardian_name": ("监护人姓名", S, N),
        "guardian_phone": ("监护人联系电话", S, PH),
        "applicant_id_number": ("申请人证件号码", S, ID),
        "applicant_name": ("申请人名称", I),
        "caller_name": ("来电人姓名", S, N),
        "caller_phone": ("来电号码", S, PH),
        "operator_name": ("经营者姓名", S, N),
        "operator_id_number": ("经营者公民身份号码", S, ID),
        "grid_worker_name": ("网格员姓名", I),
        "grid_worker_phone": ("网格员联系电话", I, PH),
        "mediator_name": ("调解员姓名", I),
        "death_date": ("死亡日期", S, None, _D),
        "death_cause": ("死亡原因", Sensitivity.SECRET, MaskKind.FULL),
        "disability_type": ("残疾类别", S, MaskKind.FULL),
        "disability_level": ("残疾等级", S, MaskKind.FULL),
        "bank_card_no": ("银行卡号", S, MaskKind.BANK_CARD),
        "account_no": ("账号", S, MaskKind.BANK_CARD),
        # legal persons
        "credit_code": ("统一社会信用代码", P),
        "employer_credit_code": ("用人单位统一社会信用代码", I),
        "employer_name": ("用人单位名称", I),
        "entity_type": ("市场主体类型", P),
        "legal_rep_id_number": ("法定代表人公民身份号码", S, ID),
        "legal_rep_name": ("法定代表人姓名", P),
        "registered_capital_wan": ("注册资本（万元）", P, None, _DEC),
        "established_on": ("成立日期", P, None, _D),
        "business_scope": ("经营范围", P),
        "industry": ("所属行业", P),
        "taxpayer_name": ("纳税人名称", P),
        "party_name": ("当事人名称", P),
        "company_name": ("所属企业", I),
        "law_firm": ("执业机构", P),
        "institution_name": ("机构名称", P),
        "institution_code": ("机构编码", P),
        "institution_type": ("机构类别", P),
        "org_type": ("组织类型", P),
        "operator": ("运营单位", P),
        "supervisor_unit": ("业务主管单位", P),
        "school_code": ("学校标识码", P),
        "school_name": ("学校名称", I),
        "department_name": ("办理部门", P),
        "funeral_home": ("殡仪馆", I),
        "hospital": ("医疗机构", I),
        # certificates and permits
        "certificate_no": ("证书编号", I),
        "licence_no": ("许可证编号", P),
        "permit_no": ("许可证编号", P),
        "contract_no": ("合同编号", I),
        "decision_no": ("决定书文号", P),
        "case_no": ("案件编号", I),
        "order_no": ("工单编号", I),
        "settlement_no": ("结算单号", I),
        "card_no": ("社会保障卡号", S, MaskKind.FULL),
        "issuing_authority": ("发证机关", P),
        "authority": ("作出决定机关", P),
        "tax_authority": ("主管税务机关", P),
        "issued_on": ("发证日期", I, None, _D),
        "valid_from": ("有效期起", I, None, _D),
        "valid_until": ("有效期至", I, None, _D),
        "first_issued_on": ("初次领证日期", I, None, _D),
        "licence_class": ("准驾车型", I),
        "points": ("累积记分", I, None, _INT),
        "qualification_type": ("资格类别", P),
        "qualification_level": ("资质等级", P),
        "occupation": ("职业（工种）", I),
        "level": ("等级", I),
        "practice_category": ("执业类别", P),
        "practice_scope": ("执业范围", P),
        "practice_status": ("执业状态", P),
        "licensed_on": ("执业证颁发日期", P, None, _D),
        "licence_status": ("证照状态", P),
        "licence_type_code": ("证照类型代码", P),
        "licence_type_name": ("证照类型名称", P),
        "holder_type": ("持证主体类型", P),
        "valid_years": ("有效年限", P, None, _INT),
        # vehicles and transport
        "plate_no": ("号牌号码", I),
        "vehicle_type": ("车辆类型", I),
        "brand_model": ("品牌型号", I),
        "vin": ("车辆识别代号", S, MaskKind.FULL),
        "use_nature": ("使用性质", I),
        "inspection_valid_until": ("检验有效期至", I, None, _D),
        "line_no": ("线路编号", P),
        "line_name": ("线路名称", P),
        "start_stop": ("起点站", P),
        "end_stop": ("终点站", P),
        "stop_count": ("站点数", P, None, _INT),
        "first_bus_time": ("首班时间", P, None, DataType.STRING),
        "last_bus_time": ("末班时间", P, None, DataType.STRING),
        # places and land
        "division_code": ("行政区划代码", P),
        "community_code": ("社区代码", P),
        "grid_code": ("网格编码", P),
        "grid_name": ("网格名称", P),
        "location": ("位置", P),
        "boundary": ("边界范围（WKT）", I),
        "area_sqm": ("面积（平方米）", I, None, _DEC),
        "unit_no": ("不动产单元号", I),
        "property_address": ("坐落", S, AD),
        "business_address": ("经营场所", P),
        "building_address": ("房屋坐落", I),
        "housing_address": ("房源地址", S, AD),
        "land_use": ("用途", I),
        "planning_use": ("规划用途", P),
        "plot_ratio": ("容积率", P, None, _DEC),
        "parcel_no": ("地块编号", P),
        "ownership_type": ("权利性质", I),
        "mortgage_status": ("抵押状态", I),
        "project_name": ("项目名称", P),
        "station_code": ("监测站点编码", P),
        "station_name": ("监测站点名称", P),
        # money and amounts
        "monthly_base": ("月缴费基数（元）", S, MaskKind.FULL, _DEC),
        "monthly_amount": ("月救助金额（元）", I, None, _DEC),
        "monthly_deposit": ("月缴存额（元）", S, MaskKind.FULL, _DEC),
        "balance": ("账户余额（元）", S, MaskKind.FULL, _DEC),
        "fine_amount": ("罚款金额（元）", P, None, _DEC),
        "total_price": ("合同总价（元）", S, MaskKind.FULL, _DEC),
        "total_amount": ("医疗总费用（元）", S, MaskKind.FULL, _DEC),
        "fund_paid": ("统筹基金支付（元）", S, MaskKind.FULL, _DEC),
        "self_paid": ("个人自付（元）", S, MaskKind.FULL, _DEC),
        "income_amount": ("收入额（元）", Sensitivity.SECRET, MaskKind.FULL, _DEC),
        "tax_amount": ("税额（元）", Sensitivity.SECRET, MaskKind.FULL, _DEC),
        "arrears_amount": ("欠税余额（元）", P, None, _DEC),
        "rent_amount": ("月租金（元）", I, None, _DEC),
        "benefit_amount": ("失业保险金（元/月）", S, MaskKind.FULL, _DEC),
        "fee": ("收费标准", P),
        # what, when, how
        "status": ("状态", I),
        "kind": ("类别", I),
        "category": ("类别", I),
        "description": ("描述", I),
        "content": ("诉求内容", S, MaskKind.FULL),
        "reason": ("原因", I),
        "result": ("结果", I),
        "grade": ("等级", P),
        "rating": ("评定等级", P),
        "credit_rating": ("纳税信用级别", I),
        "rating_year": ("评价年度", P, None, _INT),
        "tax_year": ("所属年度", I, None, _INT),
        "tax_type": ("欠缴税种", P),
        "insurance_type": ("险种类型", I),
        "employment_type": ("就业形式", I),
        "beds": ("床位数", P, None, _INT),
        "student_count": ("在校生数", P, None, _INT),
        "teacher_count": ("专任教师数", P, None, _INT),
        "grade_level": ("年级", I),
        "registered_on": ("登记日期", I, None, _D),
        "started_on": ("开始日期", I, None, _D),
        "ended_on": ("结束日期", I, None, _D),
        "since": ("起始日期", I, None, _D),
        "signed_on": ("签订日期", I, None, _D),
        "filed_on": ("备案日期", I, None, _D),
        "decided_on": ("决定日期", P, None, _D),
        "listed_on": ("列入日期", P, None, _D),
        "removed_on": ("移出日期", P, None, _D),
        "announced_on": ("公告日期", P, None, _D),
        "enrolled_on": ("入学日期", I, None, _D),
        "accepted_on": ("受理日期", I, None, _D),
        "concluded_on": ("办结日期", I, None, _D),
        "vaccinated_on": ("接种日期", S, None, _D),
        "cremated_on": ("火化日期", I, None, _D),
        "judgement_date": ("判决日期", Sensitivity.SECRET, MaskKind.FULL, _D),
        "accepted_at": ("受理时间", I, None, _DT),
        "completed_at": ("办结时间", I, None, _DT),
        "received_at": ("受理时间", I, None, _DT),
        "reported_at": ("上报时间", I, None, _DT),
        "closed_at": ("结案时间", I, None, _DT),
        "settled_at": ("结算时间", I, None, _DT),
        "monitored_at": ("监测时间", P, None, _DT),
        "updated_at": ("更新时间", I, None, _DT),
        "created_at": ("创建时间", I, None, _DT),
    }
)

_DATE_NAME = re.compile(r"(^|_)(date|day)$|_on$|^since$")
_DATETIME_NAME = re.compile(r"_at$|_time$|^timestamp$")
# Suffixes that mark personal data even in columns this module has never seen.
_SUFFIX_HINTS: tuple[tuple[str, ColumnHint], ...] = (
    ("_id_number", ColumnHint("公民身份号码", S, ID)),
    ("_phone", ColumnHint("联系电话", S, PH)),
    ("_mobile", ColumnHint("手机号码", S, PH)),
    ("_address", ColumnHint("地址", S, AD)),
    ("_email", ColumnHint("电子邮箱", S, MaskKind.EMAIL)),
)
_SQL_TYPES: tuple[tuple[re.Pattern[str], DataType], ...] = (
    (re.compile(r"bool"), DataType.BOOLEAN),
    (re.compile(r"^(tiny|small|medium|big)?int(eger)?\d*\b|^(big|small)?serial"), DataType.INTEGER),
    (re.compile(r"numeric|decimal|real|double|float|money|^number"), DataType.DECIMAL),
    (re.compile(r"timestamp|datetime"), DataType.DATETIME),
    (re.compile(r"^date$"), DataType.DATE),
    (re.compile(r"blob|bytea|binary|^image$|^raw$"), DataType.BINARY),
)


_DATA_TYPE_VALUES = frozenset(d.value for d in DataType)
_TEXT_TYPE = re.compile(r"char|text|string|clob|json|uuid|enum|^time$")


def data_type_of(column: str, sql_type: str = "") -> DataType:
    """Our data type for a source column: from its SQL type; for text, dates and times are
    told by the column's name (SQLite and CSV keep them as text); with no type known, from
    what the name is known to hold."""
    normalised = sql_type.strip().lower()
    for pattern, data_type in _SQL_TYPES:
        if pattern.search(normalised):
            return data_type
    if normalised in _DATA_TYPE_VALUES and normalised != DataType.STRING:
        return DataType(normalised)  # already one of ours (e.g. from a CSV schema)
    name = column.strip().lower()
    if not _TEXT_TYPE.search(normalised):
        known = KNOWN_COLUMNS.get(name)
        if known is not None and known.data_type is not None:
            return known.data_type
    if _DATETIME_NAME.search(name):
        return DataType.DATETIME
    if _DATE_NAME.search(name):
        return DataType.DATE
    return DataType.STRING


def hint_for(column: str) -> ColumnHint:
    """What the column's name suggests; its own name, internal, when nothing does."""
    key = column.strip().lower()
    known = KNOWN_COLUMNS.get(key)
    if known is not None:
        return known
    for suffix, hint in _SUFFIX_HINTS:
        if key.endswith(suffix):
            return hint
    return ColumnHint(column.strip())
