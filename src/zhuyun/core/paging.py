"""Paging for every list endpoint: nothing returns an unbounded table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

MAX_PAGE_SIZE = 200
T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    offset: int
    limit: int


def _page_params(
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip / 跳过的行数")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size / 每页行数")] = 50,
) -> PageParams:
    return PageParams(offset=offset, limit=limit)


PageDep = Annotated[PageParams, Depends(_page_params)]


class Page(BaseModel, Generic[T]):
    """A page of a list: its rows, how many match in all, and where it starts."""

    data: list[T]
    count: int
    offset: int
    limit: int

    @classmethod
    def of(cls, data: list[T], count: int, page: PageParams) -> Page[T]:
        """The page of a list endpoint: its rows, the total and the paging asked for."""
        return cls(data=data, count=count, offset=page.offset, limit=page.limit)
