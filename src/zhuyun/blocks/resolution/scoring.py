"""Explainable match scores: each field's agreement level adds a weight, the sum decides.

The weights are log-odds in the Fellegi–Sunter manner, rounded to numbers a reviewer can add
up in their head: a field that agrees exactly says "same entity" strongly, a field that
disagrees says "different entity" as strongly as it is trustworthy (a birth date rarely
changes between registers, an address often does). Every score carries its parts, so a
clerk can see why two records were linked — or were not.

Two valid keys never reach this module: equal keys are the same entity, different valid keys
are different entities (twins share name, birth date and address, not their ID numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Levenshtein

from zhuyun.blocks.resolution.normalise import Place
from zhuyun.blocks.resolution.records import PreparedEnterprise, PreparedPerson

#: A pair whose score reaches this is a match.
PERSON_THRESHOLD = 7.0
ENTERPRISE_THRESHOLD = 6.0


@dataclass(frozen=True)
class Part:
    """One field's contribution: its agreement level, the weight it adds, a reason in Chinese."""

    field: str
    level: str
    weight: float
    reason: str


@dataclass(frozen=True)
class Score:
    total: float
    parts: tuple[Part, ...]
    threshold: float

    @property
    def is_match(self) -> bool:
        return self.total >= self.threshold

    def explain(self) -> str:
        """One line a clerk reads: 姓名同音 +3 · 出生日期一致 +4 … = 9 ≥ 7."""
        terms = " · ".join(f"{p.reason} {p.weight:+g}" for p in self.parts)
        verdict = "≥" if self.is_match else "<"
        return f"{terms} = {self.total:g} {verdict} {self.threshold:g}"


def _id_part(a: str, b: str, label: str) -> Part:
    if not a or not b:
        return Part("id", "missing", 0.0, f"{label}缺失")
    if a == b:
        return Part("id", "equal-text", 8.0, f"{label}相同（校验位有误）")
    if len(a) == len(b) == 18 and a[:17] == b[:17]:
        return Part("id", "check-only", 7.0, f"{label}仅校验位不同")
    distance = OSA.distance(a, b)
    if distance == 1 and a[:14] == b[:14]:
        # people registered on the same day in the same area differ only in these digits
        return Part("id", "sequence-edit", 2.0, f"{label}顺序码一位之差（可能是同日出生的他人）")
    if distance == 1:
        return Part("id", "one-edit", 6.0, f"{label}仅一位不同或相邻两位颠倒")
    if distance == 2:
        return Part("id", "two-edits", 2.0, f"{label}两位不同")
    return Part("id", "different", -6.0, f"{label}不同")


def _name_part(a: PreparedPerson, b: PreparedPerson) -> Part:
    """Exact, homophone (the pinyin input method's commonest slip), a near sound in one
    character (ming/min), or one character different in sound too — which is as likely a
    sibling's name as a typo, so it adds little."""
    if not a.name or not b.name:
        return Part("name", "missing", 0.0, "姓名缺失")
    if a.name == b.name:
        return Part("name", "exact", 4.0, "姓名一致")
    if a.name_pinyin and a.name_pinyin == b.name_pinyin:
        return Part("name", "homophone", 3.0, "姓名同音")
    syllables_a, syllables_b = a.name_pinyin.split(" "), b.name_pinyin.split(" ")
    if len(a.name) == len(b.name) == len(syllables_a) == len(syllables_b):
        differing = [i for i, (x, y) in enumerate(zip(a.name, b.name, strict=True)) if x != y]
        if len(differing) == 1:
            i = differing[0]
            if Levenshtein.normalized_similarity(syllables_a[i], syllables_b[i]) >= 0.7:
                return Part("name", "near-sound", 2.0, "姓名一字读音相近")
            if len(a.name) >= 3 and i > 0:
                return Part("name", "one-char", 0.5, "姓名一字之差（读音不同）")
    return Part("name", "different", -4.0, "姓名不同")


def _birth_part(a: PreparedPerson, b: PreparedPerson) -> Part:
    if not a.birth_digits or not b.birth_digits:
        return Part("birth_date", "missing", 0.0, "出生日期缺失")
    if a.birth_digits == b.birth_digits:
        return Part("birth_date", "exact", 4.0, "出生日期一致")
    if OSA.distance(a.birth_digits, b.birth_digits) == 1:
        return Part("birth_date", "one-edit", 1.5, "出生日期一位不同或两位颠倒")
    return Part("birth_date", "different", -6.0, "出生日期不同")


def place_part(a: Place, b: Place) -> Part:
    """Addresses compared by the divisions they resolve to, finest first."""
    if not a.district or not b.district:
        return Part("address", "unknown", 0.0, "地址无法定位到区划")
    if a.community and a.community == b.community:
        return Part("address", "community", 2.0, "地址同一社区（村）")
    if a.street and a.street == b.street:
        return Part("address", "street", 1.0, "地址同一街道（乡镇）")
    if a.district == b.district:
        return Part("address", "district", 0.5, "地址同一区（县）")
    return Part("address", "different", -1.5, "地址不在同一区（县）")


def _sex_part(a: PreparedPerson, b: PreparedPerson) -> Part | None:
    if a.sex and b.sex and a.sex != b.sex:
        return Part("sex", "different", -3.0, "性别不同")
    return None


def score_people(a: PreparedPerson, b: PreparedPerson) -> Score:
    """How strongly two person records speak for one person."""
    parts = [
        _id_part(a.id_text, b.id_text, "身份证号"),
        _name_part(a, b),
        _birth_part(a, b),
        place_part(a.place, b.place),
    ]
    sex = _sex_part(a, b)
    if sex is not None:
        parts.append(sex)
    return Score(round(sum(p.weight for p in parts), 2), tuple(parts), PERSON_THRESHOLD)


def _enterprise_name_part(a: str, b: str) -> Part:
    if not a or not b:
        return Part("name", "missing", 0.0, "名称缺失")
    if a == b:
        return Part("name", "exact", 5.0, "名称一致（去掉地名前缀和组织形式后）")
    ratio = fuzz.ratio(a, b)
    if ratio >= 90:
        return Part("name", "near", 3.0, "名称几乎一致")
    if ratio >= 75:
        return Part("name", "similar", 1.0, "名称相近")
    return Part("name", "different", -5.0, "名称不同")


def score_enterprises(a: PreparedEnterprise, b: PreparedEnterprise) -> Score:
    """How strongly two enterprise records speak for one enterprise."""
    parts = (
        _id_part(a.code_text, b.code_text, "统一社会信用代码"),
        _enterprise_name_part(a.name, b.name),
        place_part(a.place, b.place),
    )
    return Score(round(sum(p.weight for p in parts), 2), parts, ENTERPRISE_THRESHOLD)
