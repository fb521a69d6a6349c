"""Next month's work orders per grid: four simple forecasters, judged on held-out months.

The methods are the ones a planner can check by hand — the last month (naive), the same month
a year before (seasonal naive, once there are 13 months), the mean of the last three months,
and simple exponential smoothing (its smoothing weight fitted on the months before each
forecast). Each is backtested with a rolling origin: for every one of the last `holdout`
months it forecasts that month from the months before it only, and its errors over all grids
are added up. The method with the least mean absolute error forecasts next month. MAPE is
taken over months with at least one order (it is undefined at zero), so it is reported with
the number of months it covers. numpy only: statsmodels would bring a dependency heavier than
these few lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Series = NDArray[np.float64]
Forecaster = Callable[[Series], float]

SEASON = 12
_ALPHAS = np.linspace(0.05, 0.95, 19)


def naive(history: Series) -> float:
    return float(history[-1])


def seasonal_naive(history: Series) -> float:
    return float(history[-SEASON])


def moving_average(history: Series) -> float:
    return float(history[-3:].mean())


def _ses_level(history: Series, alpha: float) -> tuple[float, float]:
    """The smoothed level after the history, and the sum of squared one-step errors."""
    level = float(history[0])
    sse = 0.0
    for value in history[1:]:
        sse += (float(value) - level) ** 2
        level = alpha * float(value) + (1 - alpha) * level
    return level, sse


def exponential_smoothing(history: Series) -> float:
    """Simple exponential smoothing with the weight that best forecast the history itself."""
    if len(history) < 3:
        return float(history[-1])
    best = min(_ALPHAS, key=lambda a: _ses_level(history, float(a))[1])
    return _ses_level(history, float(best))[0]


@dataclass(frozen=True)
class Method:
    name: str
    label_zh: str
    forecast: Forecaster
    min_history: int  # months needed before the first forecast


METHODS: tuple[Method, ...] = (
    Method("naive", "上月值", naive, 1),
    Method("seasonal_naive", "去年同月值", seasonal_naive, SEASON),
    Method("moving_average", "近三月均值", moving_average, 3),
    Method("exponential_smoothing", "指数平滑", exponential_smoothing, 3),
)


@dataclass(frozen=True)
class Backtest:
    """A method's errors on the held-out months of every grid."""

    method: str
    label_zh: str
    forecasts: int
    mae: float
    mape: float | None  # over months with at least one order; None when there were none
    mape_months: int


@dataclass(frozen=True)
class ForecastReport:
    """The backtests, the method chosen, and its forecast of next month per grid."""

    months: int  # length of the history
    holdout: int
    backtests: list[Backtest]
    chosen: str | None  # None when the history is too short to judge any method
    next_month: dict[str, float]  # grid → forecast orders (never negative)

    @property
    def chosen_backtest(self) -> Backtest | None:
        return next((b for b in self.backtests if b.method == self.chosen), None)


def backtest(method: Method, series: Mapping[str, Series], holdout: int) -> Backtest | None:
    """Rolling-origin errors of `method` on the last `holdout` months of every series."""
    errors: list[float] = []
    percentages: list[float] = []
    for values in series.values():
        for t in range(len(values) - holdout, len(values)):
            if t < method.min_history:
                continue
            predicted = max(0.0, method.forecast(values[:t]))
            actual = float(values[t])
            errors.append(abs(predicted - actual))
            if actual > 0:
                percentages.append(abs(predicted - actual) / actual)
    if not errors:
        return None
    return Backtest(
        method=method.name,
        label_zh=method.label_zh,
        forecasts=len(errors),
        mae=round(float(np.mean(errors)), 3),
        mape=round(float(np.mean(percentages)), 4) if percentages else None,
        mape_months=len(percentages),
    )


def forecast_next_month(
    counts: Mapping[str, Sequence[int]], holdout: int = 3, methods: Sequence[Method] = METHODS
) -> ForecastReport:
    """Judge the methods on the last `holdout` months, forecast next month with the best.

    `counts` maps each grid to its orders per month, oldest first, all of the same length.
    A method is judged only when it could forecast every held-out month: a history of
    `holdout + min_history` months at least.
    """
    series = {grid: np.asarray(values, dtype=np.float64) for grid, values in counts.items()}
    months = len(next(iter(series.values()))) if series else 0
    results = [
        result
        for method in methods
        if months >= holdout + method.min_history
        and (result := backtest(method, series, holdout)) is not None
    ]
    if not results:
        return ForecastReport(months, holdout, [], None, {})
    best = min(results, key=lambda b: (b.mae, b.method))
    method = next(m for m in methods if m.name == best.method)
    return ForecastReport(
        months=months,
        holdout=holdout,
        backtests=results,
        chosen=best.method,
        next_month={
            grid: round(max(0.0, method.forecast(values)), 2) for grid, values in series.items()
        },
    )
