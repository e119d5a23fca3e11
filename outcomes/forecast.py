"""The renewal forecast: expected renewing ARR = Σ ARR × P(renew), and how wrong the same
forecast was when made at past dates. Pure: no ORM.

P(renew) is 1 − P(churn) of the backtest's logistic model on CHS, CMI and their product
(backtest.features, backtest.model_new), fitted on every as-of point. Its error is measured
without hindsight: each past outcome's probability comes from a model fitted only on earlier
outcomes (backtest.out_of_sample), as it stood `horizon` days before; the forecast ARR is
compared with the ARR that did renew (arr_before unless churned), per quarter.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .backtest import enough, features, model_new, out_of_sample

HORIZONS = (90, 180)


def renewal_model(table: pd.DataFrame) -> Any | None:
    """The logistic churn model fitted on every as-of point with both scores; None below the
    minimum sample."""
    both = table[table["chs"].notna() & table["cmi"].notna()]
    y = both["churned"].to_numpy(int)
    if not enough(len(both), int(y.sum())) or y.min() == y.max():
        return None
    return model_new().fit(features(both), y)


def _group(rows: pd.DataFrame, by: str) -> list[dict[str, Any]]:
    grouped = rows.groupby(by, sort=False).agg(
        accounts=("arr", "size"), arr=("arr", "sum"), expected=("expected", "sum")
    )
    grouped = grouped.sort_values("arr", ascending=False)
    return [
        {
            "key": key,
            "accounts": int(row.accounts),
            "arr": round(float(row.arr), 2),
            "expected": round(float(row.expected), 2),
        }
        for key, row in grouped.iterrows()
    ]


def forecast(
    accounts: pd.DataFrame, model: Any, today: date, horizons: Sequence[int] = HORIZONS
) -> list[dict[str, Any]]:
    """Per horizon, the accounts renewing in (today, today + horizon]: their ARR, the expected
    renewing ARR in total, per cell and per CSM, and the ARR of those that cannot be
    forecast (no CHS or CMI). `accounts` has arr, chs, cmi, cell, csm and renewal_date."""
    results = []
    for days in horizons:
        renewal = pd.to_datetime(accounts["renewal_date"])
        start = pd.Timestamp(today)
        due = accounts[(renewal > start) & (renewal <= start + pd.Timedelta(days=days))]
        scored = due[due["chs"].notna() & due["cmi"].notna()].copy()
        unscored = due.drop(scored.index)
        if model is not None and len(scored):
            scored["p_renew"] = 1 - model.predict_proba(features(scored))[:, 1]
        else:
            scored["p_renew"] = np.nan
        scored["expected"] = scored["arr"] * scored["p_renew"]
        known = model is not None
        results.append(
            {
                "days": days,
                "accounts": len(scored),
                "arr": round(float(scored["arr"].sum()), 2),
                "expected": round(float(scored["expected"].sum()), 2) if known else None,
                "unscored": {
                    "accounts": len(unscored),
                    "arr": round(float(unscored["arr"].sum()), 2),
                },
                "cells": _group(scored, "cell") if known else [],
                "csms": _group(scored, "csm") if known else [],
            }
        )
    return results


def forecast_error(table: pd.DataFrame) -> dict[str, Any]:
    """What the forecast would have said at each past outcome's t0 against what renewed: in
    total and per quarter of the outcome, with each quarter's error as a share of the ARR that
    renewed. Only outcomes a model fitted on earlier ones could judge are counted."""
    both = table[table["chs"].notna() & table["cmi"].notna()]
    y = both["churned"].to_numpy(int)
    empty: dict[str, Any] = {
        "outcomes": 0,
        "forecast": None,
        "actual": None,
        "error": None,
        "quarters": [],
    }
    if not enough(len(both), int(y.sum())):
        return empty
    p_churn = out_of_sample(features(both), y)
    judged = both.assign(p_churn=p_churn)[~np.isnan(p_churn)]
    if judged.empty:
        return empty
    judged = judged.assign(
        forecast=judged["arr_before"] * (1 - judged["p_churn"]),
        actual=judged["arr_before"] * (1 - judged["churned"]),
        quarter=pd.PeriodIndex(pd.to_datetime(judged["occurred_on"]), freq="Q").astype(str),
    )
    quarters = judged.groupby("quarter", sort=True).agg(
        outcomes=("actual", "size"), forecast=("forecast", "sum"), actual=("actual", "sum")
    )

    def share(forecast: float, actual: float) -> float | None:
        return (forecast - actual) / actual if actual else None

    total_forecast, total_actual = float(judged["forecast"].sum()), float(judged["actual"].sum())
    return {
        "outcomes": len(judged),
        "forecast": round(total_forecast, 2),
        "actual": round(total_actual, 2),
        "error": share(total_forecast, total_actual),
        "quarters": [
            {
                "quarter": quarter,
                "outcomes": int(row.outcomes),
                "forecast": round(float(row.forecast), 2),
                "actual": round(float(row.actual), 2),
                "error": share(float(row.forecast), float(row.actual)),
            }
            for quarter, row in quarters.iterrows()
        ],
    }
