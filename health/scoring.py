"""The Customer Health Score, as pure functions over pandas frames. No ORM.

Each measure maps its metric's latest value to 0-100 points by a rule. A measure with no
value, or one older than its staleness window, is left out and the remaining weights are
renormalized: first within its group, then across groups. The score is the weighted sum of
points; completeness is the share of the full scorecard's weight that had usable data.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from maturity.scoring import tier_of as band_of

OK, MISSING, STALE, UNSCORABLE = "ok", "missing", "stale", "unscorable"


@dataclass(frozen=True)
class MeasureSpec:
    key: str
    name: str
    group: str
    metric: str
    weight: float  # percent of its group
    rule: str
    params: Mapping
    stale_after_days: int | None = None


@dataclass(frozen=True)
class Card:
    groups: Mapping[str, float]  # group key → percent of the score
    measures: Sequence[MeasureSpec]
    levels: Sequence[tuple[str, float]]  # (name, lower), ascending


def points(
    rule: str, params: Mapping, number: pd.Series, text: pd.Series, age_days: pd.Series
) -> pd.Series:
    """0-100 points per value; NaN where the rule cannot score the value."""
    if rule == "bands":
        result = pd.Series(np.nan, index=number.index)
        for band in params["bands"]:
            low = -np.inf if band.get("from") is None else band["from"]
            high = np.inf if band.get("to") is None else band["to"]
            result = result.mask((number >= low) & (number < high), float(band["points"]))
        return result
    if rule == "linear":
        start, end = float(params["from"]), float(params["to"])
        return ((number - start) / (end - start) * 100).clip(0, 100)
    if rule == "categorical":
        mapping = {str(k).lower(): float(v) for k, v in params["map"].items()}
        return text.str.lower().map(mapping).astype(float)
    if rule == "recency":
        full, zero = float(params["full_days"]), float(params["zero_days"])
        return ((zero - age_days) / (zero - full) * 100).clip(0, 100)
    raise ValueError(f"unknown rule {rule}")


def score_frame(
    latest: pd.DataFrame, card: Card, *, accounts: Sequence, as_of: pd.Timestamp, detail=True
):
    """Score every account in `accounts`.

    `latest` holds the latest value per account and metric: columns account, metric, number,
    text, observed_at. Returns (summary, detail): summary is indexed by account with score,
    level, completeness and stale; detail has a row per account and measure with raw value,
    status, points, effective weight and contribution (points × weight, summing to the score);
    None when `detail` is false (a bulk recompute has no use for ten rows per account).
    """
    index = pd.Index(accounts, name="account")
    by_metric = {metric: frame.set_index("account") for metric, frame in latest.groupby("metric")}
    pts, status, raw = {}, {}, {}
    stale_any = np.zeros(len(index), dtype=bool)
    for m in card.measures:
        values = by_metric.get(m.metric, pd.DataFrame(columns=["number", "text", "observed_at"]))
        values = values.reindex(index)
        observed = pd.to_datetime(values["observed_at"], utc=True)
        age = (as_of - observed).dt.total_seconds() / 86400
        scored = points(
            m.rule,
            m.params,
            values["number"].astype(float),
            values["text"].fillna("").astype(str),
            age,
        ).to_numpy(dtype=float)
        # Numpy, not a Series per state: a recompute of one account pays pandas' fixed cost
        # per operation, ten measures over.
        missing = observed.isna().to_numpy()
        stale = np.zeros(len(index), dtype=bool)
        if m.stale_after_days is not None and m.rule != "recency":
            stale = (age > m.stale_after_days).to_numpy() & ~missing
        pts[m.key] = np.where(~missing & ~stale, scored, np.nan)  # NaN: unscorable
        stale_any |= stale
        if detail:
            status[m.key] = np.select(
                [stale, missing, np.isnan(scored)], [STALE, MISSING, UNSCORABLE], OK
            )
            raw[m.key] = values["number"].where(values["number"].notna(), values["text"])
    pts = pd.DataFrame(pts, index=index)
    usable = pts.notna()
    weights = pd.Series({m.key: m.weight for m in card.measures}, dtype=float)
    group_of = pd.Series({m.key: m.group for m in card.measures})
    group_weights = pd.Series(card.groups, dtype=float)

    # Within a group: the usable measures' weights, renormalized.
    usable_weight = usable.mul(weights, axis=1)
    group_usable = (
        usable_weight.T.groupby(group_of)
        .sum()
        .T.reindex(columns=group_weights.index, fill_value=0.0)
    )
    group_on = group_usable > 0
    across = group_on.mul(group_weights, axis=1)
    across_total = across.sum(axis=1)
    share_in_group = usable_weight / group_usable[group_of.values].set_axis(weights.index, axis=1)
    group_share = (
        across[group_of.values]
        .set_axis(weights.index, axis=1)
        .div(across_total.replace(0, np.nan), axis=0)
    )
    effective = (share_in_group * group_share).fillna(0.0)
    contribution = pts.fillna(0.0) * effective

    group_total = weights.groupby(group_of).sum()
    nominal = (
        weights
        / group_total[group_of].to_numpy()
        * group_weights[group_of].to_numpy()
        / (group_weights.sum())
    )
    summary = pd.DataFrame(index=index)
    summary["score"] = contribution.sum(axis=1).where(across_total > 0)
    summary["completeness"] = usable.mul(nominal, axis=1).sum(axis=1)
    summary["stale"] = stale_any
    summary["level"] = level_of(summary["score"], card.levels)
    if not detail:
        return summary, None

    table = pd.DataFrame(
        {
            "points": pts.stack(future_stack=True),
            "status": pd.DataFrame(status, index=index).stack(future_stack=True),
            "raw": pd.DataFrame(raw, index=index).stack(future_stack=True),
            "weight": effective.stack(future_stack=True),
            "contribution": contribution.stack(future_stack=True),
        }
    )
    table.index.names = ["account", "measure"]
    return summary, table


def level_of(score: pd.Series, levels: Sequence[tuple[str, float]]) -> pd.Series:
    """The level whose lower bound is the highest one reached; '' without a score."""
    return band_of(score, levels)


def rule_error(rule: str, params: Mapping) -> str | None:
    """Why a measure's rule parameters are unusable, or None."""
    try:
        if rule == "bands":
            bands = params["bands"]
            if not bands:
                return "Give at least one band."
            for band in bands:
                if not 0 <= float(band["points"]) <= 100:
                    return "Band points lie between 0 and 100."
                low, high = band.get("from"), band.get("to")
                if low is not None and high is not None and float(high) <= float(low):
                    return f"The band from {low} to {high} is empty."
            for a, b in pairwise(bands):
                a_to, b_from = a.get("to"), b.get("from")
                if a_to is None or b_from is None or float(b_from) < float(a_to):
                    return "Bands overlap: list them in order, each starting where the last ends."
            return None
        if rule == "linear":
            if float(params["from"]) == float(params["to"]):
                return "A linear rule needs two different bounds."
            return None
        if rule == "categorical":
            if not params["map"]:
                return "Map at least one category to points."
            if any(not 0 <= float(v) <= 100 for v in params["map"].values()):
                return "Category points lie between 0 and 100."
            return None
        if rule == "recency":
            if not 0 <= float(params["full_days"]) < float(params["zero_days"]):
                return "Full points must end before zero points begin (full_days < zero_days)."
            return None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return f"The {rule} rule's parameters are incomplete or not numbers ({error})."
    return f"Unknown rule “{rule}”."


def card_errors(card_spec: Mapping) -> dict[str, str]:
    """Every reason a scorecard spec (template-shaped) cannot be used, by place."""
    errors = {}
    groups = card_spec["groups"]
    total = sum(float(g["weight"]) for g in groups)
    if abs(total - 100) > 1e-9:
        errors["groups"] = f"Group weights must total 100%; these total {total:g}%."
    keys = [m["key"] for g in groups for m in g["measures"]]
    if len(keys) != len(set(keys)):
        errors["measures"] = "Measure keys must be unique."
    for group in groups:
        if not group["measures"]:
            errors[group["key"]] = f"{group['name']}: a group needs at least one measure."
            continue
        inner = sum(float(m["weight"]) for m in group["measures"])
        if abs(inner - 100) > 1e-9:
            errors[group["key"]] = (
                f"{group['name']}: measure weights must total 100%; these total {inner:g}%."
            )
        for measure in group["measures"]:
            if message := rule_error(measure["rule"], measure["params"]):
                errors[measure["key"]] = f"{measure['name']}: {message}"
    lowers = [float(level["lower"]) for level in card_spec["levels"]]
    if not lowers or lowers[0] != 0:
        errors["levels"] = "The lowest health level must start at 0."
    elif any(b <= a for a, b in pairwise(lowers)) or lowers[-1] > 100:
        errors["levels"] = "Level thresholds must increase and stay within 0 to 100."
    return errors
