"""The rules a resource's metadata keeps, checked on every save and again before publishing.

Saving checks consistency — the classification exists, a 不予共享 resource (or item) names its
legal basis, no item is shared more openly than its resource, secret items are never shared
or opened, what is not shared is not opened either. Publishing also checks completeness — a
summary, at least one item, the conditions of 有条件共享 and 有条件开放.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.catalog.classification import (
    BASE_LIBRARY_ITEMS,
    DEPARTMENT_CLASS,
    LOCAL_DEPARTMENTS_ITEM,
    Classification,
    classification_errors,
    parse_code,
)
from zhuyun.catalog.models import Resource
from zhuyun.catalog.schemas import ResourceDraft
from zhuyun.catalog.service.common import Issue
from zhuyun.catalog.vocab import (
    BASE_LIBRARY_LABELS_ZH,
    SHARE_TYPE_LABELS_ZH,
    STRICTNESS,
    THEMES,
    OpenType,
    Sensitivity,
    ShareType,
)


def classification_of(draft: ResourceDraft) -> Classification:
    return Classification(
        draft.class_code, draft.item_code, draft.catalogue_code or "", draft.detail_code
    )


def _classification_issues(session: Session, draft: ResourceDraft) -> list[Issue]:
    c = classification_of(draft)
    issues = classification_errors(c)
    if draft.catalogue_code is None:
        issues = [issue for issue in issues if issue[0] != "catalogue_code"]
        issues.append(
            (
                "catalogue_code",
                "目 is required outside 部门信息资源 · 07.",
                "除部门信息资源（项 07）外，必须填写“目”。",
            )
        )
    if issues:
        return issues
    if c.class_code == "1":
        expected = next(lib for lib, item in BASE_LIBRARY_ITEMS.items() if item == c.item_code)
        if draft.base_library != expected:
            issues.append(
                (
                    "base_library",
                    f"A resource of 基础信息资源 · {c.item_code} belongs to the "
                    f"{expected.value} base library.",
                    f"基础信息资源“项”{c.item_code}应归入“{BASE_LIBRARY_LABELS_ZH[expected]}”基础库。",
                )
            )
    if (c.class_code, c.item_code) == (DEPARTMENT_CLASS, LOCAL_DEPARTMENTS_ITEM):
        owner = session.scalar(
            select(Resource.provider_unit_id)
            .where(
                Resource.class_code == c.class_code,
                Resource.item_code == c.item_code,
                Resource.catalogue_code == c.catalogue_code,
                Resource.provider_unit_id != draft.provider_unit_id,
            )
            .limit(1)
        )
        if owner is not None:
            issues.append(
                (
                    "catalogue_code",
                    f"目 {c.catalogue_code} of 部门信息资源 belongs to another department "
                    f"(unit {owner}).",
                    f"部门信息资源的“目”{c.catalogue_code}已属于其他部门（单位 {owner}）。",
                )
            )
    return issues


def _share_issues(draft: ResourceDraft) -> list[Issue]:
    issues: list[Issue] = []
    resource_level = draft.share_type
    withheld = resource_level == ShareType.NONE
    for item in draft.items:
        share = item.share_type or resource_level
        withheld = withheld or share == ShareType.NONE
        if STRICTNESS[share] < STRICTNESS[resource_level]:
            issues.append(
                (
                    f"items.{item.field}.share_type",
                    f"Item {item.field} cannot be shared more openly than its resource.",
                    f"信息项“{item.name}”的共享类型（{SHARE_TYPE_LABELS_ZH[share]}）"
                    f"不能比资源（{SHARE_TYPE_LABELS_ZH[resource_level]}）更宽松。",
                )
            )
        if item.sensitivity == Sensitivity.SECRET and share != ShareType.NONE:
            issues.append(
                (
                    f"items.{item.field}.share_type",
                    f"Item {item.field} is secret and can only be withheld (不予共享).",
                    f"信息项“{item.name}”为涉密信息，只能不予共享。",
                )
            )
        if item.sensitivity == Sensitivity.SECRET and draft.open_type != OpenType.CLOSED:
            issues.append(
                (
                    "open_type",
                    f"A resource with a secret item ({item.field}) cannot be opened.",
                    f"含涉密信息项（{item.name}）的资源不予开放。",
                )
            )
    if withheld and not draft.legal_basis:
        issues.append(
            (
                "legal_basis",
                "A resource or item that is not shared (不予共享) needs its legal basis.",
                "不予共享的资源或信息项必须注明法律、行政法规或政策依据。",
            )
        )
    if resource_level == ShareType.NONE and draft.open_type != OpenType.CLOSED:
        issues.append(
            (
                "open_type",
                "What is not shared among departments is not opened to the public either.",
                "不予共享的资源不能向社会开放。",
            )
        )
    return issues


def _item_issues(draft: ResourceDraft) -> list[Issue]:
    counts = Counter(item.field for item in draft.items)
    return [
        ("items", f"Item field {field} appears {n} times.", f"信息项字段“{field}”重复了 {n} 次。")
        for field, n in counts.items()
        if n > 1
    ]


def _theme_issues(draft: ResourceDraft) -> list[Issue]:
    unknown = [t for t in draft.themes if t not in THEMES]
    if not unknown:
        return []
    return [
        (
            "themes",
            f"Unknown themes: {', '.join(unknown)}.",
            f"未知主题：{'、'.join(unknown)}；可选：{'、'.join(THEMES)}。",
        )
    ]


def _related_issues(session: Session, draft: ResourceDraft, own_code: str | None) -> list[Issue]:
    codes = set(draft.related_codes)
    if not codes:
        return []
    malformed = sorted(code for code in codes if parse_code(code) is None)
    if malformed:
        return [
            (
                "related_codes",
                f"Not resource codes (like 307001/000001): {', '.join(malformed)}.",
                f"“{'、'.join(malformed)}”不是资源代码（形如 307001/000001）。",
            )
        ]
    if own_code in codes:
        return [("related_codes", "A resource cannot relate to itself.", "资源不能关联自身。")]
    found = set(session.scalars(select(Resource.code).where(Resource.code.in_(codes))))
    missing = sorted(codes - found)
    if not missing:
        return []
    return [
        (
            "related_codes",
            f"No resource has the code {', '.join(missing)}.",
            f"找不到代码为 {'、'.join(missing)} 的资源。",
        )
    ]


def consistency_issues(
    session: Session, draft: ResourceDraft, own_code: str | None = None
) -> list[Issue]:
    """Everything that makes a draft self-contradictory; checked on every save."""
    return [
        *_classification_issues(session, draft),
        *_item_issues(draft),
        *_share_issues(draft),
        *_theme_issues(draft),
        *_related_issues(session, draft, own_code),
    ]


def completeness_issues(draft: ResourceDraft) -> list[Issue]:
    """What a draft still lacks before it can be published."""
    issues: list[Issue] = []
    if not draft.summary:
        issues.append(("summary", "A summary is required.", "请填写资源摘要。"))
    if not draft.items:
        issues.append(("items", "At least one info item is required.", "至少需要一个信息项。"))
    if draft.share_type == ShareType.CONDITIONAL and not draft.share_conditions:
        issues.append(
            ("share_conditions", "Name the share conditions.", "有条件共享的资源须注明共享条件。")
        )
    if draft.open_type == OpenType.CONDITIONAL and not draft.open_conditions:
        issues.append(
            ("open_conditions", "Name the open conditions.", "有条件开放的资源须注明开放条件。")
        )
    return issues
