"""The kinds of electronic certificate (证照类型) the platform issues, and what each holds.

A kind names its holder (a natural person by resident ID, a legal person by unified social
credit code, or either), its face fields (照面信息) with the ones a public verification may
show, and how long it is valid. Adding a kind is adding a `CertificateKind` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HolderType(StrEnum):
    PERSON = "person"  # 自然人: GB 11643 resident ID number
    LEGAL = "legal"  # 法人: GB 32100 unified social credit code
    ANY = "any"


@dataclass(frozen=True)
class FaceField:
    """One face field: its key in `fields`, its Chinese label, and whether it must be given
    and may be shown on the public verification page."""

    key: str
    label: str
    required: bool = True
    public: bool = False


@dataclass(frozen=True)
class CertificateKind:
    code: str
    name: str
    holder_type: HolderType
    fields: tuple[FaceField, ...]
    valid_years: int | None  # None: long-term (长期)
    issuer_hint: str  # the department code of the demo city that issues it

    def field(self, key: str) -> FaceField | None:
        return next((f for f in self.fields if f.key == key), None)

    @property
    def public_keys(self) -> frozenset[str]:
        return frozenset(f.key for f in self.fields if f.public)


F = FaceField
KINDS: tuple[CertificateKind, ...] = (
    CertificateKind("YYZZ", "营业执照", HolderType.LEGAL, (
        F("name", "名称", public=True),
        F("entity_type", "类型", public=True),
        F("legal_rep_name", "法定代表人", public=True),
        F("registered_capital", "注册资本", public=True),
        F("established_on", "成立日期", public=True),
        F("address", "住所", public=True),
        F("business_scope", "经营范围", required=False, public=True),
    ), None, "scjg"),
    CertificateKind("SPJYXKZ", "食品经营许可证", HolderType.LEGAL, (
        F("operator", "经营者名称", public=True),
        F("business_address", "经营场所", public=True),
        F("business_scope", "经营项目", public=True),
        F("legal_rep_name", "法定代表人（负责人）", required=False, public=True),
    ), 5, "scjg"),
    CertificateKind("HJZM", "居民户籍证明", HolderType.PERSON, (
        F("sex", "性别"),
        F("birth_date", "出生日期"),
        F("ethnicity", "民族", required=False),
        F("household_address", "户籍地址"),
        F("relation_to_head", "与户主关系", required=False),
    ), 1, "gongan"),
    CertificateKind("BDCQZ", "不动产权证书", HolderType.ANY, (
        F("property_address", "坐落"),
        F("unit_no", "不动产单元号"),
        F("ownership_type", "权利类型"),
        F("land_use", "用途"),
        F("area_sqm", "面积（平方米）"),
    ), None, "zrzy"),
    CertificateKind("SBCBZM", "社会保险参保证明", HolderType.PERSON, (
        F("insurance_type", "险种"),
        F("employer_name", "参保单位"),
        F("started_on", "参保日期"),
        F("status", "参保状态"),
    ), 1, "rsj"),
)  # fmt: skip

BY_CODE: dict[str, CertificateKind] = {kind.code: kind for kind in KINDS}
