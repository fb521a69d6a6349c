"""Pydantic models of the governance JSON API (grids)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WorkerPublic(BaseModel):
    account_id: int
    username: str
    name: str


class GridPublic(BaseModel):
    """A grid with its place in the division tree and its workers (the polygon is in the
    GeoJSON export)."""

    code: str = Field(description="社区代码 + 3 位顺序号 / community code + sequence")
    name: str
    community_code: str
    community_name: str
    street_code: str
    street_name: str
    district_code: str
    district_name: str
    centroid: tuple[float, float] = Field(description="[经度, 纬度] WGS-84 / [lng, lat]")
    area_m2: float
    workers: list[WorkerPublic]


class AddressReading(BaseModel):
    district_code: str
    district_name: str
    street_code: str
    street_name: str
    community_code: str
    community_name: str
    rest: str = Field(description="社区名之后的部分（道路门牌）/ what follows the community")


class LocatePublic(BaseModel):
    """Which grid a point or an address belongs to, and how it was found."""

    grid: GridPublic
    by: str = Field(description="point | address")
    approximate: bool = Field(
        description="按地址定位时为 true：按社区名匹配、再按地址其余部分的哈希选网格"
    )
    address: AddressReading | None = None
    note: str = ""
    note_zh: str = ""


class ImportPublic(BaseModel):
    revision: int
    regions: int
    grids_created: int
    grids_updated: int
    workers_assigned: int
