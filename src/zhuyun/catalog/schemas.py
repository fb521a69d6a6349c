"""Pydantic models of the catalog's JSON API.

`ResourceDraft` is also what other modules hand to `catalog.service.create_draft`: one
description of a resource, checked once. Format checks live here (lengths, enums); the rules
that relate fields to each other (a legal basis for 不予共享, items no more open than their
resource, a valid classification) live in the service, so they hold for every caller.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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
from zhuyun.core.masking import MaskKind

UnitId = Annotated[int, Field(ge=1, le=2_147_483_647)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ItemName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Condition = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Digits = Annotated[str, StringConstraints(strip_whitespace=True, max_length=6)]
SequenceCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{1,9}$")]
# A source column's name: letters of any script, digits, underscores, inner spaces, dots, dashes.
FieldName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\w[\w .\-]{0,63}$", max_length=64)
]
ProviderCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
ThemeName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
ResourceCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
Themes = Annotated[list[ThemeName], Field(max_length=12)]
RelatedCodes = Annotated[list[ResourceCode], Field(max_length=20)]


class ItemDraft(BaseModel):
    """An info item: a column of the source, what it holds and how it may be shared."""

    model_config = ConfigDict(extra="forbid")

    field: FieldName = Field(description="Source column name / 源字段名")
    name: ItemName = Field(description="Chinese name / 信息项名称")
    data_type: DataType = DataType.STRING
    description: Condition = ""
    share_type: ShareType | None = Field(
        default=None, description="Defaults to the resource's / 缺省同资源共享类型"
    )
    sensitivity: Sensitivity = Sensitivity.INTERNAL
    mask_kind: MaskKind | None = None


Items = Annotated[list[ItemDraft], Field(max_length=500)]


class ResourceDraft(BaseModel):
    """Everything a resource's metadata holds, as its provider drafts it."""

    model_config = ConfigDict(extra="forbid")

    provider_unit_id: UnitId
    name: Name
    class_code: Digits = Field(default="3", description="类: 1 基础 / 2 主题 / 3 部门")
    item_code: Digits = Field(default="07", description="项 (2 digits)")
    catalogue_code: Digits | None = Field(
        default=None, description="目 (3 digits); for 3·07 defaults to the provider's own 目"
    )
    detail_code: Digits = Field(default="", description="细目 (optional digits)")
    sequence_code: SequenceCode | None = Field(
        default=None, description="顺序码; assigned when left out"
    )
    provider_code: ProviderCode = ""
    summary: Text = ""
    format: ResourceFormat = ResourceFormat.DATABASE
    share_type: ShareType = ShareType.CONDITIONAL
    share_conditions: Condition = ""
    share_method: ShareMethod = ShareMethod.API
    legal_basis: Condition = ""
    open_type: OpenType = OpenType.CLOSED
    open_conditions: Condition = ""
    update_cycle: UpdateCycle = UpdateCycle.IRREGULAR
    base_library: BaseLibrary | None = None
    themes: Themes = Field(default_factory=list)
    related_codes: RelatedCodes = Field(default_factory=list)
    items: Items = Field(default_factory=list)


class ResourceUpdate(BaseModel):
    """A change to a draft: only the fields given change; `items`, when given, replaces all."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    class_code: Digits | None = None
    item_code: Digits | None = None
    catalogue_code: Digits | None = None
    detail_code: Digits | None = None
    sequence_code: SequenceCode | None = None
    provider_code: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None
    ) = None
    summary: Text | None = None
    format: ResourceFormat | None = None
    share_type: ShareType | None = None
    share_conditions: Condition | None = None
    share_method: ShareMethod | None = None
    legal_basis: Condition | None = None
    open_type: OpenType | None = None
    open_conditions: Condition | None = None
    update_cycle: UpdateCycle | None = None
    base_library: BaseLibrary | None = None
    themes: Themes | None = None
    related_codes: RelatedCodes | None = None
    items: Items | None = None


class ItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    field: str
    name: str
    data_type: str
    description: str
    share_type: str
    sensitivity: str
    mask_kind: str | None


class ResourceBody(BaseModel):
    """The metadata of a resource, as a published version keeps it (its snapshot)."""

    code: str
    class_code: str
    item_code: str
    catalogue_code: str
    detail_code: str
    sequence_code: str
    classification: str = Field(description="类 / 项 in Chinese")
    name: str
    provider_unit_id: int
    provider_name: str
    provider_code: str
    summary: str
    format: str
    share_type: str
    share_conditions: str
    share_method: str
    legal_basis: str
    open_type: str
    open_conditions: str
    update_cycle: str
    base_library: str | None
    themes: list[str]
    related_codes: list[str]
    items: list[ItemPublic]


class ResourcePublic(ResourceBody):
    """A resource: its published version for readers, its working copy for its managers."""

    id: int
    view: Literal["working", "published"]
    status: str
    version: int = Field(description="Latest published version, 0 before the first")
    has_unpublished_changes: bool
    publish_date: date | None
    stale: bool
    stale_reason: str
    stale_since: datetime | None
    updated_at: datetime


class ResourceSummary(BaseModel):
    """A row of a list or search result."""

    id: int
    code: str
    name: str
    provider_unit_id: int
    provider_name: str
    class_code: str
    share_type: str
    open_type: str
    base_library: str | None
    item_count: int
    status: str
    version: int
    stale: bool
    publish_date: date | None


class FacetCount(BaseModel):
    value: str
    label: str
    count: int


class SearchPage(BaseModel):
    """A page of search results with counts per facet value."""

    data: list[ResourceSummary]
    count: int
    offset: int
    limit: int
    facets: dict[str, list[FacetCount]]


class ChangePublic(BaseModel):
    field: str
    label: str
    before: object = None
    after: object = None


class VersionPublic(BaseModel):
    version: int
    is_current: bool
    published_at: datetime
    published_by: str
    changes: list[ChangePublic]


class VersionDetail(VersionPublic):
    resource: ResourceBody


class Vocabularies(BaseModel):
    """Every controlled vocabulary (value → Chinese label) and the classification tree."""

    vocabularies: dict[str, dict[str, str]]
    classification: list[dict[str, object]]
