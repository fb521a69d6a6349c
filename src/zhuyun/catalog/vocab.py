"""The catalog's controlled vocabularies, each value with its Chinese label.

The values follow the 《政务信息资源目录编制指南（试行）》 (发改高技〔2017〕1272号): share types
and methods, open types, formats, update cycles and the five base libraries. Stored values are
short English words so that SQL, JSON and the gateway read them easily; pages show the labels.
"""

from __future__ import annotations

from enum import StrEnum

from zhuyun.core.masking import MaskKind


class ShareType(StrEnum):
    """共享类型. Ordered from the most open to the strictest (see `STRICTNESS`)."""

    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NONE = "none"


SHARE_TYPE_LABELS_ZH = {
    ShareType.UNCONDITIONAL: "无条件共享",
    ShareType.CONDITIONAL: "有条件共享",
    ShareType.NONE: "不予共享",
}
STRICTNESS = {ShareType.UNCONDITIONAL: 0, ShareType.CONDITIONAL: 1, ShareType.NONE: 2}


class ShareMethod(StrEnum):
    """共享方式: how a consumer receives the data."""

    API = "api"
    TABLE = "table"
    FILE = "file"
    QUERY = "query"
    VERIFY = "verify"


SHARE_METHOD_LABELS_ZH = {
    ShareMethod.API: "接口",
    ShareMethod.TABLE: "库表",
    ShareMethod.FILE: "文件",
    ShareMethod.QUERY: "在线查询",
    ShareMethod.VERIFY: "核验比对",
}


class OpenType(StrEnum):
    """开放属性: whether the public may have it."""

    OPEN = "open"
    CONDITIONAL = "conditional"
    CLOSED = "closed"


OPEN_TYPE_LABELS_ZH = {
    OpenType.OPEN: "无条件开放",
    OpenType.CONDITIONAL: "有条件开放",
    OpenType.CLOSED: "不予开放",
}


class ResourceFormat(StrEnum):
    """信息资源格式."""

    DOCUMENT = "document"
    SPREADSHEET = "spreadsheet"
    DATABASE = "database"
    IMAGE = "image"
    STREAMING = "streaming"
    SELF_DESCRIBING = "self_describing"
    OTHER = "other"


FORMAT_LABELS_ZH = {
    ResourceFormat.DOCUMENT: "电子文件",
    ResourceFormat.SPREADSHEET: "电子表格",
    ResourceFormat.DATABASE: "数据库",
    ResourceFormat.IMAGE: "图形图像",
    ResourceFormat.STREAMING: "流媒体",
    ResourceFormat.SELF_DESCRIBING: "自描述格式",
    ResourceFormat.OTHER: "其他",
}


class UpdateCycle(StrEnum):
    """更新周期."""

    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    IRREGULAR = "irregular"


UPDATE_CYCLE_LABELS_ZH = {
    UpdateCycle.REALTIME: "实时",
    UpdateCycle.DAILY: "每日",
    UpdateCycle.WEEKLY: "每周",
    UpdateCycle.MONTHLY: "每月",
    UpdateCycle.QUARTERLY: "每季度",
    UpdateCycle.YEARLY: "每年",
    UpdateCycle.IRREGULAR: "不定期",
}


class BaseLibrary(StrEnum):
    """The five national base libraries (基础信息资源库) a resource may feed."""

    POPULATION = "population"
    LEGAL_PERSON = "legal_person"
    GEOSPATIAL = "geospatial"
    CREDIT = "credit"
    LICENCE = "licence"


BASE_LIBRARY_LABELS_ZH = {
    BaseLibrary.POPULATION: "人口",
    BaseLibrary.LEGAL_PERSON: "法人",
    BaseLibrary.GEOSPATIAL: "自然资源和空间地理",
    BaseLibrary.CREDIT: "社会信用",
    BaseLibrary.LICENCE: "电子证照",
}


class DataType(StrEnum):
    """An info item's data type."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    BINARY = "binary"


DATA_TYPE_LABELS_ZH = {
    DataType.STRING: "字符型",
    DataType.INTEGER: "整数型",
    DataType.DECIMAL: "数值型",
    DataType.BOOLEAN: "布尔型",
    DataType.DATE: "日期型",
    DataType.DATETIME: "日期时间型",
    DataType.BINARY: "二进制",
}


class Sensitivity(StrEnum):
    """An info item's grade: how carefully its values are handled when shared."""

    PUBLIC = "public"
    INTERNAL = "internal"
    SENSITIVE = "sensitive"
    SECRET = "secret"


SENSITIVITY_LABELS_ZH = {
    Sensitivity.PUBLIC: "公开",
    Sensitivity.INTERNAL: "内部",
    Sensitivity.SENSITIVE: "敏感",
    Sensitivity.SECRET: "涉密",
}


class ResourceStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


STATUS_LABELS_ZH = {
    ResourceStatus.DRAFT: "草稿",
    ResourceStatus.PUBLISHED: "已发布",
    ResourceStatus.RETIRED: "已撤销",
}

MASK_KIND_LABELS_ZH = {
    MaskKind.NAME: "姓名",
    MaskKind.PHONE: "电话",
    MaskKind.ID_NUMBER: "证件号码",
    MaskKind.ADDRESS: "地址",
    MaskKind.BANK_CARD: "银行卡号",
    MaskKind.EMAIL: "电子邮箱",
    MaskKind.FULL: "全部遮盖",
}

#: The 12 theme areas of 主题信息资源 the guideline names.
THEMES: tuple[str, ...] = (
    "公共服务", "健康保障", "社会保障", "食品药品安全", "安全生产", "价格监管",
    "能源安全", "信用体系", "城乡建设", "社区治理", "生态环保", "应急维稳",
)  # fmt: skip


def stricter(a: ShareType, b: ShareType) -> ShareType:
    """The stricter of two share types."""
    return a if STRICTNESS[a] >= STRICTNESS[b] else b


def vocabularies() -> dict[str, dict[str, str]]:
    """Every vocabulary as value → Chinese label, for the API and the pages."""
    return {
        "share_type": {k.value: v for k, v in SHARE_TYPE_LABELS_ZH.items()},
        "share_method": {k.value: v for k, v in SHARE_METHOD_LABELS_ZH.items()},
        "open_type": {k.value: v for k, v in OPEN_TYPE_LABELS_ZH.items()},
        "format": {k.value: v for k, v in FORMAT_LABELS_ZH.items()},
        "update_cycle": {k.value: v for k, v in UPDATE_CYCLE_LABELS_ZH.items()},
        "base_library": {k.value: v for k, v in BASE_LIBRARY_LABELS_ZH.items()},
        "data_type": {k.value: v for k, v in DATA_TYPE_LABELS_ZH.items()},
        "sensitivity": {k.value: v for k, v in SENSITIVITY_LABELS_ZH.items()},
        "mask_kind": {k.value: v for k, v in MASK_KIND_LABELS_ZH.items()},
        "status": {k.value: v for k, v in STATUS_LABELS_ZH.items()},
        "theme": {t: t for t in THEMES},
    }
