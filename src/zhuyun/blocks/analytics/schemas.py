"""Pydantic models of the block-analytics JSON API."""

from __future__ import annotations

from pydantic import BaseModel


class GridIndicatorsPublic(BaseModel):
    code: str
    name: str
    community: str
    district: str
    residents: int
    male: int
    female: int
    ages: dict[str, int]
    orders: int
    orders_per_1000: float | None
    demand: int
    demand_per_1000: float | None
    closed_share: float | None
    forecast: float | None


class BacktestPublic(BaseModel):
    method: str
    label_zh: str
    forecasts: int
    mae: float
    mape: float | None
    mape_months: int


class ForecastPublic(BaseModel):
    """How next month is forecast: the methods' errors on held-out months and the choice."""

    history_months: int
    holdout_months: int
    chosen: str | None
    backtests: list[BacktestPublic]
    next_month: str
    city_total: float | None


class PopulationPublic(BaseModel):
    read: int
    unplaced: int
    masked: list[str]
    refused: str | None


class GridAnalyticsPage(BaseModel):
    """One page of grids' indicators for a month, with the month's context."""

    data: list[GridIndicatorsPublic]
    count: int
    offset: int
    limit: int
    month: str
    months: list[str]
    city_orders_by_month: list[int]
    orders_seen: int
    population: PopulationPublic
    forecast: ForecastPublic
