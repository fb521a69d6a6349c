"""Next month's forecast: the methods, their backtest on held-out months, and the choice."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zhuyun.blocks.analytics.forecast import (
    METHODS,
    backtest,
    exponential_smoothing,
    forecast_next_month,
)


def test_backtest_errors_are_those_a_person_computes_by_hand() -> None:
    naive = next(m for m in METHODS if m.name == "naive")
    result = backtest(naive, {"g": np.array([1.0, 2, 3, 4, 5, 6])}, holdout=3)
    assert result is not None
    assert result.forecasts == 3  # 3→4, 4→5, 5→6
    assert result.mae == 1.0
    assert result.mape == round((1 / 4 + 1 / 5 + 1 / 6) / 3, 4)
    assert result.mape_months == 3


def test_mape_leaves_out_months_without_orders() -> None:
    naive = next(m for m in METHODS if m.name == "naive")
    result = backtest(naive, {"g": np.array([2.0, 0, 0, 2])}, holdout=3)
    assert result is not None
    assert result.mae == pytest.approx((2 + 0 + 2) / 3, abs=1e-3)
    assert result.mape_months == 1 and result.mape == 1.0


def test_a_yearly_pattern_is_forecast_by_last_years_month() -> None:
    months = 36
    rng = np.random.default_rng(3)
    season = [30, 28, 35, 40, 55, 80, 95, 90, 60, 45, 35, 32]  # summer: drains, noise, heat
    counts = {
        f"g{n}": [int(season[t % 12] * (1 + n / 10) + rng.integers(-2, 3)) for t in range(months)]
        for n in range(5)
    }
    report = forecast_next_month(counts, holdout=6)
    assert report.chosen == "seasonal_naive"
    chosen = report.chosen_backtest
    assert chosen is not None and chosen.mape is not None and chosen.mape < 0.1
    naive = next(b for b in report.backtests if b.method == "naive")
    assert chosen.mae < naive.mae / 3
    # next month is January: last January's level, not the December it follows
    assert report.next_month["g0"] == pytest.approx(counts["g0"][-12], abs=0.01)


def test_a_level_series_with_noise_prefers_smoothing_to_the_last_month() -> None:
    rng = np.random.default_rng(8)
    counts = {f"g{n}": list(rng.poisson(20, size=18)) for n in range(20)}
    report = forecast_next_month(counts, holdout=6)
    assert report.chosen in ("moving_average", "exponential_smoothing", "seasonal_naive")
    naive = next(b for b in report.backtests if b.method == "naive")
    assert report.chosen_backtest is not None and report.chosen_backtest.mae < naive.mae


def test_too_short_a_history_gives_no_forecast_rather_than_an_unjudged_one() -> None:
    report = forecast_next_month({"g": [3, 4]}, holdout=3)
    assert report.chosen is None and report.next_month == {} and report.backtests == []


def test_methods_needing_a_year_are_not_judged_on_less() -> None:
    report = forecast_next_month({"g": [5, 6, 7, 8, 9, 10, 11]}, holdout=3)
    assert {b.method for b in report.backtests} == {
        "naive",
        "moving_average",
        "exponential_smoothing",
    }


def test_forecasts_are_never_negative() -> None:
    assert exponential_smoothing(np.array([0.0, 0, 0, 0])) == 0
    report = forecast_next_month({"g": [9, 5, 2, 0, 0, 0]}, holdout=2)
    assert all(v >= 0 and not math.isnan(v) for v in report.next_month.values())
