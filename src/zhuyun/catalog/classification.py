"""Classification codes and resource codes of the 《政务信息资源目录编制指南（试行）》.

A resource is classified by 类 (1 digit), 项 (2 digits), 目 (3 digits) and an optional 细目
(digits of no fixed length; here at most 6). Its code has a front part (前段码), the four
classification codes written one after the other, and a back part (后段码), the resource's
顺序码 (sequence number) within that classification, joined by "/": `307001/000012` is the
twelfth resource of 部门信息资源 · 省及以下各级政务部门 · 目 001.

The 类 are fixed by the guideline; so are the 项 of 基础信息资源 (the five base libraries), of
主题信息资源 (the twelve themes) and of 部门信息资源 (the level of government the department
belongs to). The guideline lists them without numbers; we number them in its order, 01 up.
目 and 细目 are the catalog keeper's to assign: within 部门信息资源, each providing department
owns one 目.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zhuyun.catalog.vocab import THEMES, BaseLibrary

CLASS_LABELS_ZH = {"1": "基础信息资源", "2": "主题信息资源", "3": "部门信息资源"}

ITEM_LABELS_ZH: dict[str, dict[str, str]] = {
    "1": {
        "01": "人口基础信息资源",
        "02": "法人单位基础信息资源",
        "03": "自然资源和空间地理基础信息资源",
        "04": "社会信用基础信息资源",
        "05": "电子证照基础信息资源",
    },
    "2": {f"{n:02d}": theme for n, theme in enumerate(THEMES, start=1)},
    "3": {
        "01": "党中央",
        "02": "全国人大常委会",
        "03": "国务院",
        "04": "全国政协",
        "05": "最高人民法院",
        "06": "最高人民检察院",
        "07": "省（自治区、直辖市）及其下各级政务部门",
        "08": "计划单列市及其下各级政务部门",
    },
}

#: The 项 of 基础信息资源 each base library is.
BASE_LIBRARY_ITEMS = {
    BaseLibrary.POPULATION: "01",
    BaseLibrary.LEGAL_PERSON: "02",
    BaseLibrary.GEOSPATIAL: "03",
    BaseLibrary.CREDIT: "04",
    BaseLibrary.LICENCE: "05",
}

#: Departments of a city government are catalogued under 3 · 07.
DEPARTMENT_CLASS, LOCAL_DEPARTMENTS_ITEM = "3", "07"
SEQUENCE_WIDTH = 6

_CODE = re.compile(
    r"^(?P<cls>[1-3])(?P<item>\d{2})(?P<cat>\d{3})(?P<detail>\d{0,6})/(?P<seq>\d{1,9})$"
)


@dataclass(frozen=True)
class Classification:
    """类/项/目/细目 of a resource."""

    class_code: str
    item_code: str
    catalogue_code: str
    detail_code: str = ""

    @property
    def prefix(self) -> str:
        """The front part of the resource code (前段码)."""
        return f"{self.class_code}{self.item_code}{self.catalogue_code}{self.detail_code}"

    @property
    def labels(self) -> tuple[str, str]:
        """The Chinese names of its 类 and 项."""
        return (
            CLASS_LABELS_ZH.get(self.class_code, ""),
            ITEM_LABELS_ZH.get(self.class_code, {}).get(self.item_code, ""),
        )


def classification_errors(c: Classification) -> list[tuple[str, str, str]]:
    """What is wrong with a classification, as (field, English, Chinese); empty when valid."""
    errors: list[tuple[str, str, str]] = []
    if c.class_code not in CLASS_LABELS_ZH:
        errors.append(
            (
                "class_code",
                f"类 must be 1, 2 or 3, not {c.class_code!r}.",
                f"“类”只能是 1（基础）、2（主题）或 3（部门），不能是“{c.class_code}”。",
            )
        )
    elif c.item_code not in ITEM_LABELS_ZH[c.class_code]:
        known = "、".join(ITEM_LABELS_ZH[c.class_code])
        errors.append(
            (
                "item_code",
                f"项 {c.item_code!r} does not exist in 类 {c.class_code}; known: {known}.",
                f"“{CLASS_LABELS_ZH[c.class_code]}”下没有“项”{c.item_code}，可选：{known}。",
            )
        )
    if not re.fullmatch(r"\d{3}", c.catalogue_code) or c.catalogue_code == "000":
        errors.append(
            (
                "catalogue_code",
                f"目 must be three digits from 001 to 999, not {c.catalogue_code!r}.",
                f"“目”应为 001–999 的三位数字，不能是“{c.catalogue_code}”。",
            )
        )
    if not re.fullmatch(r"\d{0,6}", c.detail_code):
        errors.append(
            (
                "detail_code",
                f"细目 must be at most six digits, not {c.detail_code!r}.",
                f"“细目”应为不超过 6 位的数字，不能是“{c.detail_code}”。",
            )
        )
    return errors


def compose_code(c: Classification, sequence: str) -> str:
    """The resource code: 前段码/后段码."""
    return f"{c.prefix}/{sequence}"


def format_sequence(number: int) -> str:
    return str(number).zfill(SEQUENCE_WIDTH)


def parse_code(code: str) -> tuple[Classification, str] | None:
    """A resource code split into its classification and 顺序码; None when malformed."""
    match = _CODE.match(code.strip())
    if not match:
        return None
    return (
        Classification(match["cls"], match["item"], match["cat"], match["detail"]),
        match["seq"],
    )


def classification_tree() -> list[dict[str, object]]:
    """类 and their 项, for the API and the pages."""
    return [
        {
            "code": cls,
            "label": label,
            "items": [{"code": k, "label": v} for k, v in ITEM_LABELS_ZH[cls].items()],
        }
        for cls, label in CLASS_LABELS_ZH.items()
    ]
