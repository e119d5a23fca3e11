"""Pillar weights, and a scorecard's weights, fitted to renewal outcomes: proposed beside the
current ones, never imposed. Pure: no ORM.

The CMI is a weighted mean of pillar scores, so a churn model that is linear in
(5 − pillar) with non-negative coefficients is a CMI with other weights: the coefficients,
scaled to total 100%, are the proposal. The fit is a ridge-regularized logistic likelihood
minimized under bounds (scipy); it is judged out of sample by time-ordered folds against
the current weights on the same later rows, with a paired bootstrap of the AUC gain.
"""

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import TimeSeriesSplit

from health.scoring import Card, combined

from .backtest import BOOTSTRAP, FOLDS, MIN_CHURNED, SEED, auc_with_interval, enough, rank_auc

RIDGE = 1.0
# Every pillar keeps at least this weight (percent): a framework's pillars all weigh above 0,
# and the weights judged out of sample are the ones that would be applied.
FLOOR = 1.0


def pillar_fit(pillars: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Weights (percent, totalling 100, each at least FLOOR) of a churn model in (5 − pillar)
    with non-negative coefficients; None when the fit finds no pillar that raises churn as
    it falls."""
    x = 5.0 - pillars
    n, width = x.shape

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        intercept, coefficients = theta[0], theta[1:]
        z = intercept + x @ coefficients
        p = 1 / (1 + np.exp(-z))
        nll = np.sum(np.logaddexp(0, z) - y * z) / n + RIDGE * coefficients @ coefficients / n
        residual = (p - y) / n
        gradient = np.concatenate([[residual.sum()], x.T @ residual + 2 * RIDGE * coefficients / n])
        return float(nll), gradient

    bounds = [(None, None)] + [(0, None)] * width
    fitted = minimize(loss, np.zeros(width + 1), jac=True, bounds=bounds, method="L-BFGS-B")
    coefficients = np.clip(fitted.x[1:], 0, None)
    total = coefficients.sum()
    if total <= 1e-9:
        return None
    return FLOOR + (100 - FLOOR * width) * coefficients / total


def _cmi(pillars: np.ndarray, weights: np.ndarray) -> np.ndarray:
    result: np.ndarray = pillars @ weights / weights.sum()
    return result


def framework_calibration(table: pd.DataFrame, current: Mapping[str, float]) -> dict[str, Any]:
    """The proposal for the framework's pillar weights from an as-of table (time order),
    with both out-of-sample AUCs and the verdict: adopt only when the gain's interval is
    above 0, else keep your weights."""
    keys = list(current)
    columns = [f"pillar:{key}" for key in keys]
    rows = table.dropna(subset=columns) if columns else table.iloc[0:0]
    y, pillars = rows["churned"].to_numpy(int), rows[columns].to_numpy(float)
    weights_now = np.array([current[k] for k in keys], dtype=float)
    result: dict[str, Any] = {
        "target": "framework",
        "outcomes": len(rows),
        "churned": int(y.sum()),
        "left_out": len(table) - len(rows),
        "enough_data": enough(len(rows), int(y.sum())) and bool(keys),
        "current": dict(zip(keys, weights_now.round(1).tolist(), strict=True)),
    }
    if not result["enough_data"]:
        return result | _not_enough()
    risk_now, risk_new = _folds(
        y, pillars, pillar_fit, lambda x, w: -_cmi(x, weights_now if w is None else w)
    )
    proposal = pillar_fit(pillars, y)
    result |= _judged(y, risk_now, risk_new, proposal is not None)
    result["proposed"] = (
        dict(zip(keys, _percent(proposal).tolist(), strict=True)) if proposal is not None else None
    )
    return result


def _not_enough() -> dict[str, Any]:
    return {
        "proposed": None,
        "auc_current": {"value": None, "low": None, "high": None, "n": 0},
        "auc_proposed": {"value": None, "low": None, "high": None, "n": 0},
        "gain": {"value": None, "low": None, "high": None},
        "verdict": "keep",
        "message": "Not enough data to fit weights: keep your weights.",
    }


def _folds(
    y: np.ndarray,
    x: np.ndarray,
    fit: Callable[[np.ndarray, np.ndarray], np.ndarray | None],
    risk: Callable[[np.ndarray, np.ndarray | None], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-sample risks by time-ordered folds: today's (`risk(x, None)`) and the one of
    weights fitted on the earlier rows only; NaN where no fold judged a row (too few churns
    before it)."""
    risk_now, risk_new = np.full(len(y), np.nan), np.full(len(y), np.nan)
    for train, test in TimeSeriesSplit(n_splits=FOLDS).split(x):
        churns = int(y[train].sum())
        if min(churns, len(train) - churns) < MIN_CHURNED:
            continue
        risk_now[test] = risk(x[test], None)
        risk_new[test] = risk(x[test], fit(x[train], y[train]))
    return risk_now, risk_new


def _judged(
    y: np.ndarray, risk_now: np.ndarray, risk_new: np.ndarray, proposed: bool
) -> dict[str, Any]:
    """Both AUCs with their intervals, the paired gain, and the verdict: adopt only when the
    gain's interval lies above 0."""
    judged = ~np.isnan(risk_now) & ~np.isnan(risk_new)
    ys = y[judged]
    auc_now = auc_with_interval(ys, risk_now[judged])
    auc_new = auc_with_interval(ys, risk_new[judged])
    gain = _paired_gain(ys, risk_now[judged], risk_new[judged])
    adopt = proposed and gain["low"] is not None and gain["low"] > 0
    return {
        "auc_current": auc_now,
        "auc_proposed": auc_new,
        "gain": gain,
        "verdict": "adopt" if adopt else "keep",
        "message": (
            f"These weights rank churners better out of sample: AUC {auc_new['value']:.2f} "
            f"against {auc_now['value']:.2f} (gain {gain['low']:+.2f} to {gain['high']:+.2f})."
            if adopt
            else "The fitted weights do not rank churners better beyond noise: keep your weights."
        ),
    }


def _percent(weights: np.ndarray) -> np.ndarray:
    """Rounded to 0.1 and still totalling exactly 100 (the largest takes the rounding)."""
    rounded = np.round(weights, 1)
    rounded[np.argmax(rounded)] += round(100 - rounded.sum(), 1)
    result: np.ndarray = np.round(rounded, 1)
    return result


def _paired_gain(y: np.ndarray, now: np.ndarray, new: np.ndarray) -> dict[str, Any]:
    if len(y) == 0 or y.min() == y.max():
        return {"value": None, "low": None, "high": None}
    value = float(roc_auc_score(y, new) - roc_auc_score(y, now))
    rng = np.random.default_rng(SEED)
    rows = rng.integers(0, len(y), size=(BOOTSTRAP, len(y)))
    draws = rank_auc(y[rows], new[rows]) - rank_auc(y[rows], now[rows])
    draws = draws[~np.isnan(draws)]
    low, high = np.percentile(draws, [2.5, 97.5])
    return {"value": value, "low": float(low), "high": float(high)}


def scorecard_calibration(table: pd.DataFrame, card: Card) -> dict[str, Any]:
    """The proposal for the scorecard's weights: each measure's effective weight (its group's
    weight × its weight in the group) fitted like the pillars, on each measure's points at t0
    (a missing one stands at its mean among the fitting rows), then factored back into group
    weights and in-group weights that each total 100. Candidates are scored by production's
    `health.scoring.combined`, so a missing measure is left out as in the CHS itself."""
    keys = [m.key for m in card.measures]
    columns = [f"measure:{key}" for key in keys]
    rows = table[table[columns].notna().any(axis=1)] if columns else table.iloc[0:0]
    y, points = rows["churned"].to_numpy(int), rows[columns].to_numpy(float)
    now = effective_weights(card)
    result: dict[str, Any] = {
        "target": "scorecard",
        "outcomes": len(rows),
        "churned": int(y.sum()),
        "left_out": len(table) - len(rows),
        "enough_data": enough(len(rows), int(y.sum())) and bool(keys),
        "current": now,
        "groups": {g: {"current": float(w)} for g, w in card.groups.items()},
    }
    if not result["enough_data"]:
        return result | _not_enough()

    def risk(x: np.ndarray, fitted: np.ndarray | None) -> np.ndarray:
        score: np.ndarray = combined(x, card if fitted is None else card_with(card, fitted))[0]
        return -score

    risk_now, risk_new = _folds(y, points, _measure_fit, risk)
    fitted = _measure_fit(points, y)
    proposal = card_with(card, fitted) if fitted is not None else None
    result |= _judged(y, risk_now, risk_new, proposal is not None)
    result["proposed"] = effective_weights(proposal) if proposal is not None else None
    if proposal is not None:
        for group, weight in proposal.groups.items():
            result["groups"][group]["proposed"] = float(weight)
        result["proposed_card"] = {
            "groups": dict(proposal.groups),
            "measures": {m.key: float(m.weight) for m in proposal.measures},
        }
    return result


def _measure_fit(points: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Effective weights (percent) fitted on points; a missing point stands at the measure's
    mean among these rows (50 when it never has one)."""
    seen = (~np.isnan(points)).sum(axis=0)
    means = np.where(seen > 0, np.nansum(points, axis=0) / np.maximum(seen, 1), 50.0)
    filled = np.where(np.isnan(points), means, points)
    return pillar_fit(filled / 20.0, y)  # 0-100 points on the fit's 0-5 scale


def effective_weights(card: Card) -> dict[str, float]:
    """Each measure's share of the score when every measure is usable, in percent."""
    total = sum(card.groups.values()) or 1.0
    in_group = {g: sum(m.weight for m in card.measures if m.group == g) or 1.0 for g in card.groups}
    return {
        m.key: round(100 * card.groups[m.group] / total * m.weight / in_group[m.group], 1)
        for m in card.measures
    }


def card_with(card: Card, effective: np.ndarray) -> Card:
    """The card with these effective weights (percent, one per measure): each group weighs
    its measures' sum, and each measure its share of its group; both rounded to 0.1 and
    totalling exactly 100."""
    measures = list(card.measures)
    groups = list(card.groups)
    sums = np.array(
        [sum(w for w, m in zip(effective, measures, strict=True) if m.group == g) for g in groups]
    )
    group_weights = dict(zip(groups, _percent(100 * sums / sums.sum()).tolist(), strict=True))
    weights: dict[str, float] = {}
    for g, total in zip(groups, sums, strict=True):
        members = [i for i, m in enumerate(measures) if m.group == g]
        shares = _percent(100 * effective[members] / total) if total > 0 else None
        for n, i in enumerate(members):
            weights[measures[i].key] = (
                float(shares[n]) if shares is not None else 100 / len(members)
            )
    return replace(
        card,
        groups=group_weights,
        measures=[replace(m, weight=weights[m.key]) for m in measures],
    )


def card_proposed(card: Card, proposed: Mapping[str, Mapping[str, float]]) -> Card:
    """The card with a proposal's group and in-group weights (`proposed_card`)."""
    return replace(
        card,
        groups=dict(proposed["groups"]),
        measures=[replace(m, weight=proposed["measures"][m.key]) for m in card.measures],
    )
