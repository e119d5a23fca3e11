"""The backtest's figures from an as-of table (outcomes.asof.COLUMNS). Pure: no ORM.

Churned is 1; renewed, expanded and contracted are 0. A score's AUC is the ROC AUC of
(−score) as a predictor of churn, so 0.5 is no signal. CHS+CMI is a logistic model judged
out of sample: fitted on earlier outcomes, scored on later ones (time-ordered folds).
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from statsmodels.stats.proportion import proportion_confint

MIN_OUTCOMES, MIN_CHURNED = 30, 5
BOOTSTRAP = 500
FOLDS = 5
SEED = 20261203  # the bootstrap's resamples are the same on every run


def enough(n: int, churned: int) -> bool:
    return n >= MIN_OUTCOMES and churned >= MIN_CHURNED


def wilson(k: int, n: int) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return float(low), float(high)


def rate(k: int, n: int) -> dict[str, Any]:
    low, high = wilson(k, n)
    return {"count": k, "rate": k / n if n else None, "low": low, "high": high}


def rank_auc(y: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of `risk` for the same row of `y` (2-D, one bootstrap draw per
    row), by the Mann-Whitney identity on average ranks (scipy's rankdata): equal to
    roc_auc_score, ties included, for all draws in one call instead of one call per draw
    (sklearn's per-call validation made 1,000 draws take seconds). NaN for a draw holding
    one class only."""
    ranks = rankdata(risk, axis=1)
    positives = y.sum(axis=1)
    negatives = y.shape[1] - positives
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((ranks * y).sum(axis=1) - positives * (positives + 1) / 2) / (positives * negatives)
    return np.where((positives == 0) | (negatives == 0), np.nan, auc)


def auc_with_interval(y: np.ndarray, risk: np.ndarray) -> dict[str, Any]:
    """ROC AUC of `risk` for `y`, its 95% bootstrap interval (percentile) and n. None values
    when y holds one class only: no AUC exists."""
    n = len(y)
    if n == 0 or y.min() == y.max():
        return {"value": None, "low": None, "high": None, "n": n}
    value = float(roc_auc_score(y, risk))
    rng = np.random.default_rng(SEED)
    samples = rng.integers(0, n, size=(BOOTSTRAP, n))
    draws = rank_auc(y[samples], risk[samples])
    draws = draws[~np.isnan(draws)]
    low, high = np.percentile(draws, [2.5, 97.5]) if len(draws) else (np.nan, np.nan)
    return {"value": value, "low": float(low), "high": float(high), "n": n}


def features(table: pd.DataFrame) -> np.ndarray:
    """CHS, CMI and their product: maturity may matter most where health is low."""
    chs, cmi = table["chs"].to_numpy(float), table["cmi"].to_numpy(float)
    return np.column_stack([chs, cmi, chs * cmi])


def model_new() -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))


def out_of_sample(x: np.ndarray, y: np.ndarray, folds: int = FOLDS) -> np.ndarray:
    """Each row's churn probability from a model fitted only on earlier rows (`x` and `y` in
    time order); NaN for rows no fold predicts: the first fold, and folds whose past holds
    fewer than MIN_CHURNED churns or renewals (no model is judged on what it cannot learn)."""
    predicted = np.full(len(y), np.nan)
    if len(y) < folds + 1:
        return predicted
    for train, test in TimeSeriesSplit(n_splits=folds).split(x):
        churns = int(y[train].sum())
        if min(churns, len(train) - churns) < MIN_CHURNED:
            continue
        predicted[test] = model_new().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return predicted


def roc_points(y: np.ndarray, risk: np.ndarray) -> dict[str, list[float]]:
    if len(y) == 0 or y.min() == y.max():
        return {"fpr": [], "tpr": []}
    fpr, tpr, _ = roc_curve(y, risk)
    return {"fpr": np.round(fpr, 4).tolist(), "tpr": np.round(tpr, 4).tolist()}


def figures(
    table: pd.DataFrame,
    *,
    horizon_days: int,
    levels: Sequence[str],
    cells: Mapping[str, str],
) -> dict[str, Any]:
    """The report: counts always; the figures only above the minimum sample. `levels` are the
    CHS level names, lowest first; `cells` maps each cell key to its name, in grid order."""
    y_all = table["churned"].to_numpy(int)
    n, churned = len(table), int(y_all.sum())
    with_chs = table[table["chs"].notna()]
    with_cmi = table[table["cmi"].notna()]
    both = table[table["chs"].notna() & table["cmi"].notna()]
    report: dict[str, Any] = {
        "horizon_days": horizon_days,
        "outcomes": n,
        "churned": churned,
        "base_rate": churned / n if n else None,
        "enough_data": enough(n, churned),
        "minimum": {"outcomes": MIN_OUTCOMES, "churned": MIN_CHURNED},
        "excluded": {"no_chs": n - len(with_chs), "no_cmi": n - len(with_cmi)},
        "kinds": {k: int(v) for k, v in table["kind"].value_counts().items()},
    }
    if not report["enough_data"]:
        counts = {"chs": len(with_chs), "cmi": len(with_cmi), "chs_cmi": len(both)}
        counts["chs_same_rows"] = len(both)
        unknown = {"value": None, "low": None, "high": None}
        auc = {name: unknown | {"n": n} for name, n in counts.items()}
        return report | {"auc": auc, "cells": [], "lift": [], "calibration": []}

    y_chs, y_cmi = with_chs["churned"].to_numpy(int), with_cmi["churned"].to_numpy(int)
    x_both, y_both = features(both), both["churned"].to_numpy(int)  # time order: asof's
    oos = out_of_sample(x_both, y_both)
    judged = ~np.isnan(oos)
    report["auc"] = {
        "chs": auc_with_interval(y_chs, -with_chs["chs"].to_numpy(float)),
        "cmi": auc_with_interval(y_cmi, -with_cmi["cmi"].to_numpy(float)),
        "chs_cmi": auc_with_interval(y_both[judged], oos[judged]),
        # CHS alone on the same out-of-sample rows: the fair comparison for chs_cmi.
        "chs_same_rows": auc_with_interval(y_both[judged], -both["chs"].to_numpy(float)[judged]),
    }
    report["roc"] = {
        "chs": roc_points(y_chs, -with_chs["chs"].to_numpy(float)),
        "cmi": roc_points(y_cmi, -with_cmi["cmi"].to_numpy(float)),
        "chs_cmi": roc_points(y_both[judged], oos[judged]),
    }
    report["cells"] = [
        {
            "cell": key,
            "name": name,
            "outcomes": len(rows),
            "churned": int(rows["churned"].sum()),
            "churn": rate(int((rows["kind"] == "churned").sum()), len(rows)),
            "expansion": rate(int((rows["kind"] == "expanded").sum()), len(rows)),
            "contraction": rate(int((rows["kind"] == "contracted").sum()), len(rows)),
        }
        for key, name in cells.items()
        for rows in [table[table["cell"] == key]]
    ]
    for cell in report["cells"]:  # the API's flat fields, the churn rate's
        churn = cell["churn"]
        cell.update(churn_rate=churn["rate"], low=churn["low"], high=churn["high"])
    report["lift"] = lift(with_chs)
    report["calibration"] = calibration(y_both[judged], oos[judged])
    lowest = with_chs[with_chs["chs_level"] == levels[0]] if levels else with_chs.iloc[0:0]
    base = report["base_rate"]
    report["lowest_level"] = {
        "level": levels[0] if levels else "",
        **rate(int(lowest["churned"].sum()), len(lowest)),
        "multiple": (lowest["churned"].mean() / base) if len(lowest) and base else None,
    }
    # Churn flags of the outcomes with a CHS, riskiest (lowest CHS) first: precision and
    # recall at any k are read from here (precision_at).
    ranked = with_chs.sort_values(["chs", "outcome"], kind="stable")
    report["ranked_churn"] = ranked["churned"].astype(int).tolist()
    return report


def lift(with_chs: pd.DataFrame) -> list[dict[str, Any]]:
    """Churn rate per CHS decile (1: lowest CHS) over the base rate, with n and interval."""
    if len(with_chs) < 10:
        return []
    base = with_chs["churned"].mean()
    ranks = with_chs["chs"].rank(method="first")
    decile = pd.qcut(ranks, 10, labels=False) + 1
    rows = []
    for d, group in with_chs.groupby(decile, sort=True):
        k, m = int(group["churned"].sum()), len(group)
        low, high = wilson(k, m)
        rows.append(
            {
                "decile": int(d),
                "chs_from": float(group["chs"].min()),
                "chs_to": float(group["chs"].max()),
                "outcomes": m,
                "churned": k,
                "churn_rate": k / m,
                "lift": (k / m) / base if base else None,
                "low": low,
                "high": high,
            }
        )
    return rows


def calibration(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Predicted against observed churn by bins of equal count, each with its n."""
    if len(y) < bins or y.min() == y.max():
        return []
    observed, predicted = calibration_curve(y, probability, n_bins=bins, strategy="quantile")
    # The same bins as calibration_curve's (quantiles; empty ones dropped), for their sizes.
    edges = np.percentile(probability, np.linspace(0, 1, bins + 1) * 100)
    sizes = np.bincount(np.searchsorted(edges[1:-1], probability), minlength=len(edges) - 1)
    sizes = sizes[sizes != 0]
    return [
        {"predicted": float(p), "observed": float(o), "n": int(m)}
        for p, o, m in zip(predicted, observed, sizes, strict=True)
    ]


def precision_at(ranked_churn: Sequence[int], k: int) -> dict[str, Any]:
    """If the team acts on its k riskiest accounts (lowest CHS): how many of them churned
    (precision) and how many of all churners they were (recall)."""
    k = max(0, min(k, len(ranked_churn)))
    caught, total = int(sum(ranked_churn[:k])), int(sum(ranked_churn))
    return {
        "k": k,
        "caught": caught,
        "precision": caught / k if k else None,
        "recall": caught / total if total else None,
    }
