"""The demo city's data-resource catalog: what its departments publish, as Guiyang's would.

One resource for every table of the departments' own databases (`sources.SOURCES`), whose
info items are exactly that table's columns, so the exchange can bind them; and catalog-only
resources of the other departments — licences, medical insurance, property, vehicles, tax,
grids, school enrolment … — with a realistic mix of share types (some 不予共享, each with
its legal basis), open types and sensitivities. Resources of departments the scale does not
build are skipped.

Items are written `field=中文名|sensitivity|data type|share type`; every part after the field
may be left out (or empty), and the catalog's column dictionary fills in the rest.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.catalog.columns import data_type_of, hint_for
from zhuyun.catalog.models import Resource
from zhuyun.catalog.vocab import (
    BaseLibrary,
    DataType,
    OpenType,
    ResourceFormat,
    Sensitivity,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from zhuyun.core.ledger import SYSTEM
from zhuyun.core.masking import MaskKind
from zhuyun.demo.sources import SOURCES
from zhuyun.identity.models import OrgUnit

U, C, N = ShareType.UNCONDITIONAL, ShareType.CONDITIONAL, ShareType.NONE
OPEN, COND, CLOSED = OpenType.OPEN, OpenType.CONDITIONAL, OpenType.CLOSED
POP, LEGAL, GEO = BaseLibrary.POPULATION, BaseLibrary.LEGAL_PERSON, BaseLibrary.GEOSPATIAL
CREDIT, LICENCE = BaseLibrary.CREDIT, BaseLibrary.LICENCE
RT, DAY, MON = UpdateCycle.REALTIME, UpdateCycle.DAILY, UpdateCycle.MONTHLY
QTR, YEAR = UpdateCycle.QUARTERLY, UpdateCycle.YEARLY

DUTY = "限履行法定职责的政务部门申请使用，须写明用途，按最小必要原则使用，不得转供他人。"
VERIFY = "以核验比对方式共享，仅返回是否一致；确需明细的须逐项申请。"
REGISTERED = "经实名注册并签署数据使用协议后获取。"
PIPL_28 = (
    "《中华人民共和国个人信息保护法》第二十八条：医疗健康、金融账户等属于敏感个人信息，"
    "只有在具有特定目的和充分必要性并采取严格保护措施的情形下方可处理。"
)


@dataclass(frozen=True)
class _Spec:
    """One resource of the demo catalog."""

    unit: str
    name: str
    classification: str  # "1.01.001" (类.项.目), or "3" for the department's own 目
    summary: str
    items: str = ""  # space-separated item notations; for a source table, overrides only
    table: str | None = None  # the source table it describes
    share: ShareType = C
    open: OpenType = CLOSED
    cycle: UpdateCycle = DAY
    base: BaseLibrary | None = None
    themes: tuple[str, ...] = ()
    conditions: str = DUTY
    open_conditions: str = ""
    legal_basis: str = ""
    method: ShareMethod = ShareMethod.API
    format: ResourceFormat = ResourceFormat.DATABASE


SPECS: tuple[_Spec, ...] = (
    # 公安 ------------------------------------------------------------------------------------
    _Spec("gongan", "人口基础信息", "1.01.001",
          "全市户籍人口的身份、户籍和联系信息，是人口基础库的权威来源。",
          "address=住址 updated_at=信息更新时间", table="people", cycle=RT, base=POP,
          themes=("公共服务",)),
    _Spec("gongan", "户籍户信息", "1.01.002", "户籍登记的户号、户主、户籍地址和户内人数。",
          "registered_on=立户日期", table="households", base=POP),
    _Spec("gongan", "居民身份证签发信息", "3", "居民身份证签发、换领和有效期信息，用于身份核验。",
          "id_number name sex ethnicity birth_date address=住址 issuing_authority=签发机关 "
          "valid_from valid_until photo=证件照片", cycle=RT, base=POP, conditions=VERIFY,
          method=ShareMethod.VERIFY),
    _Spec("gongan", "机动车登记信息", "3", "本市登记机动车的号牌、车辆、所有人和检验信息。",
          "plate_no vehicle_type brand_model vin owner_name owner_id_number use_nature "
          "registered_on=初次登记日期 inspection_valid_until status=机动车状态"),
    _Spec("gongan", "机动车驾驶证信息", "3", "驾驶证的准驾车型、有效期、记分和状态。",
          "id_number=驾驶证号 name licence_class first_issued_on valid_until points "
          "status=驾驶证状态", base=LICENCE),
    _Spec("gongan", "流动人口居住登记信息", "3", "来筑人员居住登记与居住证信息。",
          "id_number name sex residence_address domicile_address phone "
          "registered_on=居住登记日期 valid_until=居住证有效期至", themes=("社区治理",)),
    _Spec("gongan", "违法犯罪记录信息", "3", "经生效判决认定的犯罪记录。",
          "id_number name case_no offence=罪名|secret judgement_date sentence=刑罚|secret",
          share=N, cycle=UpdateCycle.IRREGULAR, conditions="",
          legal_basis="《公安机关办理犯罪记录查询工作规定》：犯罪记录仅依规定程序逐案查询出具，"
          "不予批量共享。"),
    # 市场监管 -------------------------------------------------------------------------------
    _Spec("scjg", "市场主体登记信息", "1.02.001",
          "企业等市场主体的设立、变更和注销登记信息，是法人基础库的权威来源。",
          "name=企业名称|public address=住所|public status=登记状态|public "
          "legal_rep_id_number=法定代表人公民身份号码|sensitive||conditional "
          "updated_at=信息更新时间", table="enterprises", share=U, open=COND, cycle=RT,
          base=LEGAL, themes=("信用体系",), conditions="",
          open_conditions="法定代表人公民身份号码不开放；" + REGISTERED),
    _Spec("scjg", "营业执照电子证照信息", "1.05.001", "营业执照电子证照的照面信息。",
          "credit_code name=企业名称|public entity_type legal_rep_name=法定代表人姓名|public "
          "registered_capital_wan established_on business_scope address=住所|public "
          "issued_on licence_status", table="business_licences",
          share=U, open=OPEN, cycle=RT, base=LICENCE, conditions=""),
    _Spec("scjg", "食品经营许可证信息", "3", "食品经营许可证的许可对象、经营项目与有效期。",
          "permit_no credit_code operator=经营者名称 business_address business_scope=经营项目 "
          "issuing_authority issued_on valid_until|public", share=U, open=OPEN,
          themes=("食品药品安全",), conditions=""),
    _Spec("scjg", "市场监管行政处罚信息", "1.04.001", "市场监管领域行政处罚决定（“双公示”）。",
          "decision_no party_name=当事人名称|public credit_code violation=违法行为类型|public "
          "penalty_type=处罚类别|public fine_amount decided_on authority",
          table="market_penalties", share=U, open=OPEN,
          base=CREDIT, themes=("信用体系",), conditions=""),
    _Spec("scjg", "经营异常名录信息", "1.04.002", "列入与移出经营异常名录的企业。",
          "credit_code name=企业名称|public reason=列入原因|public listed_on authority "
          "removed_on result=移出原因|public", share=U, open=OPEN, base=CREDIT, conditions=""),
    _Spec("scjg", "个体工商户登记信息", "3", "个体工商户的登记、经营者和经营范围信息。",
          "credit_code name=字号名称|public operator_name operator_id_number business_address "
          "business_scope established_on=注册日期 status=登记状态"),
    # 人社 ------------------------------------------------------------------------------------
    _Spec("rsj", "社会保险参保信息", "2.03.001",
          "养老保险参保人员的险种、参保单位、参保状态和缴费基数。",
          "name=参保人姓名 started_on=参保日期 status=参保状态", table="social_insurance",
          cycle=MON),
    _Spec("rsj", "就业登记信息", "3", "劳动者就业与终止就业登记。",
          "id_number name employer_credit_code employer_name employment_type "
          "started_on=就业日期 ended_on=终止日期", themes=("社会保障",)),
    _Spec("rsj", "失业登记与失业保险金发放信息", "2.03.002", "失业登记及失业保险金领取信息。",
          "id_number name registered_on=失业登记日期 reason=失业原因 benefit_amount "
          "ended_on=领取截止日期", cycle=MON),
    _Spec("rsj", "社会保障卡信息", "3", "社会保障卡的持卡人、发卡和卡状态信息。",
          "card_no id_number name issued_on bank_card_no=金融账户|sensitive||none "
          "status=卡状态", conditions=VERIFY, method=ShareMethod.VERIFY, legal_basis=PIPL_28),
    _Spec("rsj", "职业资格与职业技能等级证书信息", "1.05.002", "职业资格证书与职业技能等级证书。",
          "certificate_no id_number name occupation level=等级|public issued_on "
          "issuing_authority", share=U, open=COND, base=LICENCE, conditions="",
          open_conditions="持证人本人或经其授权查询。"),
    # 民政 ------------------------------------------------------------------------------------
    _Spec("mzj", "婚姻登记信息", "1.01.003", "结婚登记信息，用于婚姻状况核验。",
          "certificate_no=结婚证字号 registered_on=登记日期 division_code=登记机关区划代码",
          table="marriages", base=POP, conditions=VERIFY, method=ShareMethod.VERIFY),
    _Spec("mzj", "最低生活保障对象信息", "2.03.003", "城乡最低生活保障（低保）对象及保障金额。",
          "kind=救助类别 since=纳入保障日期", table="low_income", cycle=MON),
    _Spec("mzj", "社会组织登记信息", "1.02.002", "社会团体、民办非企业单位和基金会的登记信息。",
          "credit_code name=社会组织名称|public org_type legal_rep_name registered_on "
          "address=住所|public business_scope=业务范围 supervisor_unit status=登记状态|public",
          share=U, open=OPEN, base=LEGAL, conditions=""),
    _Spec("mzj", "殡葬火化信息", "3", "遗体火化信息，用于养老金停发、户口注销等。",
          "id_number name death_date cremated_on funeral_home"),
    _Spec("mzj", "特困人员救助供养信息", "2.03.004", "特困人员的供养方式和供养标准。",
          "id_number name household_id kind=供养方式 monthly_amount=供养标准（元/月） since",
          cycle=MON),
    _Spec("mzj", "养老机构信息", "2.01.001", "全市养老机构的床位、运营和等级评定。",
          "credit_code name=机构名称|public address=地址|public beds operator contact_phone "
          "rating", share=U, open=OPEN, cycle=QTR, conditions=""),
    # 卫健 ------------------------------------------------------------------------------------
    _Spec("wjw", "出生医学证明信息", "1.05.003", "新生儿出生医学证明，用于出生登记和落户。",
          "certificate_no=出生医学证明编号 hospital=接生机构", table="births", base=LICENCE),
    _Spec("wjw", "医疗机构执业登记信息", "1.02.003", "医疗机构的执业登记、等级和床位。",
          "licence_no=登记号 credit_code name=机构名称|public institution_type grade=医院等级 "
          "address=地址|public beds legal_rep_name valid_until", share=U, open=OPEN,
          base=LEGAL, themes=("健康保障",), conditions=""),
    _Spec("wjw", "医师执业注册信息", "3", "医师的执业类别、执业范围和执业机构。",
          "certificate_no=医师执业证书编码 name=姓名|public "
          "id_number=公民身份号码|sensitive||conditional "
          "practice_category practice_scope institution_name=执业机构 registered_on=注册日期",
          share=U, open=COND, conditions="",
          open_conditions="公众可按姓名和证书编码查询执业信息。"),
    _Spec("wjw", "预防接种记录", "2.02.001", "儿童和成人预防接种记录。",
          "id_number name vaccine_name=疫苗名称|sensitive dose_no=剂次|sensitive|integer "
          "vaccinated_on institution_name=接种单位 batch_no=疫苗批号"),
    _Spec("wjw", "居民死亡医学证明信息", "3", "死亡医学证明（推断）书信息，死亡原因不予共享。",
          "certificate_no=死亡医学证明编号 id_number name death_date death_cause "
          "institution_name=签发机构", legal_basis=PIPL_28),
    # 住建 ------------------------------------------------------------------------------------
    _Spec("zjj", "商品房买卖合同网签备案信息", "3", "新建商品房买卖合同网签备案。",
          "contract_no project_name building_address buyer_name buyer_id_number "
          "area_sqm=建筑面积（平方米） total_price signed_on filed_on", themes=("城乡建设",)),
    _Spec("zjj", "建筑业企业资质信息", "1.02.004", "建筑业企业资质证书信息。",
          "certificate_no=资质证书编号 credit_code name=企业名称|public qualification_type "
          "qualification_level issued_on valid_until", share=U, open=OPEN, base=LEGAL,
          conditions=""),
    _Spec("zjj", "公共租赁住房保障信息", "2.03.005", "公共租赁住房配租对象与租金。",
          "id_number name household_size housing_address rent_amount started_on=配租日期",
          cycle=MON),
    # 自然资源 --------------------------------------------------------------------------------
    _Spec("zrzy", "不动产登记信息", "1.03.001", "不动产权利、权利人、坐落、面积和抵押状态。",
          "certificate_no=不动产权证书号 unit_no owner_name=权利人 owner_id_number=权利人证件号码 "
          "property_address land_use area_sqm ownership_type registered_on=登记日期 "
          "mortgage_status", base=GEO, method=ShareMethod.QUERY, themes=("城乡建设",)),
    _Spec("zrzy", "国土空间规划地块信息", "1.03.002", "控制性详细规划地块的用途与指标。",
          "parcel_no location area_sqm=用地面积（平方米）|public planning_use plot_ratio "
          "boundary=地块边界（WKT）|public", share=U, open=OPEN, cycle=YEAR, base=GEO,
          conditions="", format=ResourceFormat.SELF_DESCRIBING),
    _Spec("zrzy", "建设用地规划许可信息", "3", "建设用地规划许可证核发信息。",
          "permit_no project_name applicant_name=用地单位|public location "
          "area_sqm=用地面积（平方米）|public issued_on", share=U, open=OPEN, conditions=""),
    # 生态环境 --------------------------------------------------------------------------------
    _Spec("sthj", "排污许可证信息", "2.11.001", "排污单位的许可证与主要污染物类别。",
          "permit_no credit_code name=单位名称|public industry address=生产经营场所地址|public "
          "main_pollutants=主要污染物类别|public issued_on valid_until", share=U, open=OPEN,
          conditions=""),
    _Spec("sthj", "环境空气质量监测数据", "2.11.002", "国控、省控空气质量监测站点的小时数据。",
          "station_code station_name monitored_at aqi=空气质量指数|public|integer "
          "pm25=PM2.5浓度（μg/m³）|public|decimal pm10=PM10浓度（μg/m³）|public|decimal "
          "so2=二氧化硫浓度（μg/m³）|public|decimal no2=二氧化氮浓度（μg/m³）|public|decimal "
          "o3=臭氧浓度（μg/m³）|public|decimal co=一氧化碳浓度（mg/m³）|public|decimal",
          share=U, open=OPEN, cycle=RT, conditions=""),
    # 交通 ------------------------------------------------------------------------------------
    _Spec("jtj", "道路运输经营许可信息", "3", "道路运输经营业户及许可信息。",
          "permit_no=道路运输经营许可证号 credit_code name=业户名称|public business_scope "
          "address=地址|public issued_on valid_until", share=U, open=OPEN, conditions=""),
    _Spec("jtj", "网约车驾驶员从业资格信息", "3", "网络预约出租汽车驾驶员从业资格证。",
          "certificate_no=从业资格证号 id_number name qualification_type "
          "company_name=所属平台公司 issued_on valid_until", conditions=VERIFY,
          method=ShareMethod.VERIFY),
    _Spec("jtj", "公交线路与站点信息", "2.01.002", "公交线路走向、首末班时间和运营单位。",
          "line_no line_name start_stop end_stop stop_count first_bus_time last_bus_time operator",
          share=U, open=OPEN, cycle=MON, conditions=""),
    # 城管 ------------------------------------------------------------------------------------
    _Spec("cgj", "城市管理案件信息", "2.10.001", "数字城管发现、派遣和处置的城市管理问题。",
          "case_no category=案件类别 description=问题描述 location=发生地点 grid_code "
          "reported_at closed_at status=处置状态", cycle=RT),
    _Spec("cgj", "户外广告设置许可信息", "3", "户外广告设施设置许可。",
          "permit_no applicant_name=设置单位|public location=设置地点 ad_size=广告规格 "
          "issued_on valid_until", share=U, open=OPEN, conditions=""),
    # 教育 ------------------------------------------------------------------------------------
    _Spec("jyj", "义务教育入学登记信息", "2.01.003", "适龄儿童义务教育入学登记与录取。",
          "student_id_number student_name guardian_name guardian_phone household_address "
          "school_name=录取学校 grade_level=入学年级 enrolled_on", cycle=YEAR),
    _Spec("jyj", "中小学校基本信息", "3", "全市中小学校的办学类型、规模和联系方式。",
          "school_code name=学校名称|public org_type=办学类型 address=学校地址|public "
          "student_count teacher_count contact_phone", share=U, open=OPEN, cycle=YEAR,
          conditions=""),
    # 税务 ------------------------------------------------------------------------------------
    _Spec("swj", "税务登记信息", "1.02.005", "纳税人的税务登记、主管税务机关和状态。",
          "credit_code taxpayer_name kind=纳税人类型 legal_rep_name tax_authority "
          "registered_on=税务登记日期 status=纳税人状态 credit_rating", base=LEGAL),
    _Spec("swj", "纳税信用A级纳税人名单", "1.04.003", "年度纳税信用A级纳税人名单。",
          "credit_code taxpayer_name rating_year credit_rating|public", share=U, open=OPEN,
          cycle=YEAR, base=CREDIT, conditions="", format=ResourceFormat.SPREADSHEET),
    _Spec("swj", "欠税公告信息", "1.04.004", "依法公告的欠税纳税人及欠税余额。",
          "credit_code taxpayer_name legal_rep_name tax_type arrears_amount announced_on",
          share=U, open=OPEN, cycle=QTR, base=CREDIT, conditions=""),
    _Spec("swj", "个人所得税纳税信息", "3", "自然人个人所得税纳税记录。",
          "id_number name tax_year income_amount tax_amount employer_credit_code", share=N,
          cycle=MON, conditions="",
          legal_basis="《中华人民共和国税收征收管理法》第八条：税务机关应当依法为纳税人、"
          "扣缴义务人的情况保密。"),
    # 医保 ------------------------------------------------------------------------------------
    _Spec("ybj", "基本医疗保险参保信息", "2.02.002", "职工和城乡居民基本医疗保险参保信息。",
          "id_number name insurance_type=险种 employer_credit_code started_on=参保日期 "
          "status=参保状态", cycle=MON, themes=("社会保障",)),
    _Spec("ybj", "医保定点医药机构信息", "2.02.003", "医保定点医疗机构和零售药店。",
          "institution_code=定点机构编码 name=机构名称|public institution_type address=地址|public "
          "grade=机构等级 valid_until=协议有效期至", share=U, open=OPEN, conditions=""),
    _Spec("ybj", "医保结算信息", "3", "医保就医结算明细，诊断信息不予共享。",
          "settlement_no id_number name institution_name visit_type=就诊类型 "
          "diagnosis=诊断|secret total_amount fund_paid self_paid settled_at",
          legal_basis=PIPL_28),
    # 政务服务 --------------------------------------------------------------------------------
    _Spec("zwfw", "政务服务事项办件信息", "2.01.004", "政务服务事项的受理、办理和办结信息。",
          "case_no=办件编号 item_name=事项名称 applicant_name applicant_id_number department_name "
          "accepted_at completed_at status=办理状态", cycle=RT),
    _Spec("zwfw", "政务服务事项清单", "3", "政务服务事项的类型、实施部门、时限和收费。",
          "item_code=事项编码|public item_name=事项名称|public item_type=事项类型|public "
          "department_name legal_time_limit_days=法定办结时限（工作日）|public|integer "
          "promised_time_limit_days=承诺办结时限（工作日）|public|integer fee", share=U,
          open=OPEN, cycle=MON, conditions=""),
    # 司法 ------------------------------------------------------------------------------------
    _Spec("sfj", "律师执业信息", "3", "律师执业证和执业机构。",
          "licence_no=执业证号 name=姓名|public law_firm practice_status licensed_on",
          share=U, open=OPEN, conditions=""),
    _Spec("sfj", "人民调解案件信息", "2.10.002", "人民调解组织受理和调解的矛盾纠纷。",
          "case_no dispute_type=纠纷类型 mediator_name accepted_on concluded_on result=调解结果"),
    _Spec("sfj", "社区矫正对象信息", "3", "社区矫正对象的矫正类别和期限。",
          "id_number name kind=矫正类别|secret started_on=矫正开始日期 ended_on=矫正结束日期 "
          "residence_address", share=N, cycle=UpdateCycle.IRREGULAR, conditions="",
          legal_basis="《中华人民共和国社区矫正法》：社区矫正对象的身份信息和个人隐私依法予以保护，"
          "除法律规定外不得向其他单位提供。"),
    # 大数据局 --------------------------------------------------------------------------------
    _Spec("dsj", "网格划分信息", "2.10.003", "城市社区网格的范围、编码和网格员。",
          "grid_code grid_name community_code division_code area_sqm|public boundary "
          "grid_worker_name grid_worker_phone", share=U, open=COND, cycle=MON, base=GEO,
          conditions="", open_conditions="网格员姓名和联系电话不开放。"),
    _Spec("dsj", "电子证照目录信息", "1.05.004", "全市电子证照类型目录。",
          "licence_type_code licence_type_name issuing_authority holder_type valid_years",
          share=U, open=OPEN, cycle=MON, base=LICENCE, conditions="",
          format=ResourceFormat.SPREADSHEET),
    _Spec("dsj", "12345政务服务便民热线工单信息", "2.10.004",
          "12345热线受理、派单、办理和回访工单。",
          "order_no channel=受理渠道 category=诉求类别 content caller_name caller_phone "
          "address=事发地址 received_at department_name=承办单位 status=办理状态 "
          "rating=满意度评价", cycle=RT),
    # Departments of the larger scales ---------------------------------------------------------
    _Spec("gjj", "住房公积金缴存信息", "2.03.006", "住房公积金个人账户缴存信息。",
          "id_number name employer_name account_no=个人公积金账号 monthly_deposit balance "
          "status=缴存状态", cycle=MON),
    _Spec("cl", "残疾人证信息", "1.05.005", "第二代残疾人证信息。",
          "certificate_no=残疾人证号 id_number name disability_type disability_level issued_on",
          base=LICENCE, themes=("社会保障",)),
    _Spec("wlj", "A级旅游景区名录", "3", "全市A级旅游景区。",
          "name=景区名称|public rating=等级|public address=地址|public operator contact_phone",
          share=U, open=OPEN, cycle=YEAR, conditions="", format=ResourceFormat.SPREADSHEET),
    _Spec("kjj", "高新技术企业名单", "3", "经认定的高新技术企业。",
          "certificate_no=证书编号 credit_code name=企业名称|public issued_on=认定日期 valid_until",
          share=U, open=OPEN, cycle=YEAR, conditions=""),
    _Spec("tyjr", "退役军人信息", "3", "退役军人的入伍、退役和安置信息。",
          "id_number name enlisted_on=入伍日期 discharged_on=退役日期 resettlement=安置方式"),
)  # fmt: skip


def _source_columns() -> dict[str, list[tuple[str, str]]]:
    """Each source table's columns and SQL types, read from its own DDL."""
    columns: dict[str, list[tuple[str, str]]] = {}
    with sqlite3.connect(":memory:") as connection:
        for source in SOURCES:
            for table in source.tables:
                connection.execute(table.ddl)
                rows = connection.execute(f"PRAGMA table_info({table.name})").fetchall()
                columns[table.name] = [(row[1], row[2]) for row in rows]
    return columns


def _item(notation: str, sql_type: str = "") -> catalog.ItemDraft:
    """An info item from `field=名称|sensitivity|data type|share type`."""
    head, *options = notation.split("|")
    field, _, name = head.partition("=")
    sensitivity, data_type, share = [*options, "", "", ""][:3]
    hint = hint_for(field)
    grade = Sensitivity(sensitivity) if sensitivity else hint.sensitivity
    mask: MaskKind | None = None
    if grade in (Sensitivity.SENSITIVE, Sensitivity.SECRET):
        mask = hint.mask_kind or MaskKind.FULL
    shared = ShareType(share) if share else None
    if grade == Sensitivity.SECRET:
        shared = ShareType.NONE
    return catalog.ItemDraft(
        field=field,
        name=name or hint.name_zh,
        data_type=DataType(data_type) if data_type else data_type_of(field, sql_type),
        sensitivity=grade,
        mask_kind=mask,
        share_type=shared,
    )


Columns = Mapping[str, Sequence[tuple[str, str]]]


def _items(spec: _Spec, columns: Columns) -> list[catalog.ItemDraft]:
    notations = spec.items.split()
    if spec.table is None:
        return [_item(n) for n in notations]
    overrides = {n.split("|")[0].partition("=")[0]: n for n in notations}
    return [_item(overrides.get(column, column), sql) for column, sql in columns[spec.table]]


def _draft(spec: _Spec, unit: OrgUnit, columns: Columns) -> catalog.ResourceDraft:
    codes = spec.classification.split(".")
    class_code, item_code, catalogue_code = codes if len(codes) == 3 else ("3", "07", None)
    return catalog.ResourceDraft(
        provider_unit_id=unit.id,
        name=spec.name,
        summary=spec.summary,
        format=spec.format,
        share_type=spec.share,
        share_conditions=spec.conditions if spec.share == C else "",
        share_method=spec.method,
        legal_basis=spec.legal_basis,
        open_type=spec.open,
        open_conditions=spec.open_conditions,
        update_cycle=spec.cycle,
        base_library=spec.base,
        themes=list(spec.themes),
        items=_items(spec, columns),
        class_code=class_code,
        item_code=item_code,
        catalogue_code=catalogue_code,
    )


def publish_demo_catalog(session: Session, units: Mapping[str, OrgUnit]) -> list[Resource]:
    """Draft and publish the demo catalog for the departments in `units` (keyed by code)."""
    columns = _source_columns()
    published: list[Resource] = []
    for spec in SPECS:
        unit = units.get(spec.unit)
        if unit is None:
            continue
        resource = catalog.create_draft(session, SYSTEM, _draft(spec, unit, columns))
        published.append(catalog.publish(session, SYSTEM, resource.id))
    return published


#: The resource describing each source table: resource name → (department code, table name).
SOURCE_RESOURCES: dict[str, tuple[str, str]] = {
    spec.name: (spec.unit, spec.table) for spec in SPECS if spec.table is not None
}


def source_bindings(resources: Sequence[Resource]) -> list[tuple[Resource, str, str]]:
    """The demo resources that describe a source table, with its department and table name,
    for the exchange to bind."""
    return [(r, *SOURCE_RESOURCES[r.name]) for r in resources if r.name in SOURCE_RESOURCES]
