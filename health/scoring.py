"""The Customer Health Score, as pure functions over pandas frames. No ORM.

Each measure maps its metric's latest value to 0-100 points by a rule. A measure with no
value, or one older than its staleness window, is left out and the remaining weights are
renormalized: first within its group, then across groups. The score is the weighted sum of
points; completeness is the share of the full scorecard's weight that had usable data.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from core.bands import band_of

OK, MISSING, STALE, UNSCORABLE = "ok", "missing", "stale", "unscorable"


@dataclass(frozen=True)
class MeasureSpec:
    key: str
    name: str
    group: str
    metric: str
    weight: float  # percent of its group
    rule: str
    params: Mapping[str, Any]
    stale_after_days: int | None = None


@dataclass(frozen=True)
class Card:
    groups: Mapping[str, float]  # group key → percent of the score
    measures: Sequence[MeasureSpec]
    levels: Sequence[tuple[str, float]]  # (name, lower), ascending


def card_from_spec(spec: Mapping[str, Any]) -> Card:
    """What scoring needs of a template-shaped scorecard spec (the editor's, as typed and
    checked by `card_errors`): a scorecard not saved yet, for a what-if."""
    return Card(
        groups={g["key"]: float(g["weight"]) for g in spec["groups"]},
        measures=[
            MeasureSpec(
                key=m["key"],
                name=m["name"],
                group=g["key"],
                metric=m["metric"],
                weight=float(m["weight"]),
                rule=m["rule"],
                params=m["params"],
                stale_after_days=m.get("stale_after_days"),
            )
            for g in spec["groups"]
            for m in g["measures"]
        ],
        levels=[(lv["name"], float(lv["lower"])) for lv in spec["levels"]],
    )


def points(rule: str, params: Mapping[str, Any], number: Any, text: Any, age_days: Any) -> Any:
    """0-100 points per value; NaN where the rule cannot score the value. Takes and gives
    arrays: numpy, not a Series per step, since one account pays pandas' fixed cost per
    operation, ten measures over."""
    with np.errstate(invalid="ignore"):  # NaN compares as outside every band
        if rule in ("bands", "linear"):
            number = np.asarray(number, dtype=float)
        if rule == "bands":
            result = np.full(len(number), np.nan)
            for band in params["bands"]:
                low = -np.inf if band.get("from") is None else band["from"]
                high = np.inf if band.get("to") is None else band["to"]
                result[(number >= low) & (number < high)] = float(band["points"])
            return result
        if rule == "linear":
            start, end = float(params["from"]), float(params["to"])
            return np.clip((number - start) / (end - start) * 100, 0, 100)
        if rule == "categorical":
            mapping = {str(k).lower(): float(v) for k, v in params["map"].items()}
            return pd.Series(text, dtype=object).str.lower().map(mapping).to_numpy(dtype=float)
        if rule == "recency":
            full, zero = float(params["full_days"]), float(params["zero_days"])
            return np.clip((zero - np.asarray(age_days, dtype=float)) / (zero - full) * 100, 0, 100)
    raise ValueError(f"unknown rule {rule}")


def _measure_values(
    latest: pd.DataFrame, index: pd.Index, as_of: pd.Timestamp
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray, np.ndarray]:
    """Per metric, the positions in `index` of the accounts it has a latest value for and
    the rows of `latest` holding them; and every row's number, text and age in days."""
    rows = index.get_indexer(latest["account"])
    by_metric: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for metric, positions in latest.groupby("metric", sort=False).indices.items():
        positions = positions[rows[positions] >= 0]  # rows of accounts not asked for: left out
        by_metric[metric] = (rows[positions], positions)
    observed = pd.to_datetime(latest["observed_at"], utc=True)
    age = ((as_of - observed).dt.total_seconds() / 86400).to_numpy(dtype=float)
    number = latest["number"].to_numpy(dtype=float)
    return by_metric, number, latest["text"].to_numpy(dtype=object), age


def score_frame(
    latest: pd.DataFrame,
    card: Card,
    *,
    accounts: Sequence[int],
    as_of: pd.Timestamp,
    detail: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Score every account in `accounts`.

    `latest` holds the latest value per account and metric: columns account, metric, number,
    text, observed_at. Returns (summary, detail): summary is indexed by account with score,
    level, completeness and stale; detail has a row per account and measure with raw value,
    status, points, effective weight and contribution (points × weight, summing to the score);
    None when `detail` is false (a bulk recompute has no use for ten rows per account).
    """
    index = pd.Index(accounts, name="account")
    count, measures = len(index), list(card.measures)
    by_metric, numbers, texts, ages = _measure_values(latest, index, as_of)
    clean_texts = pd.Series(texts, dtype=object).fillna("").astype(str).to_numpy(dtype=object)
    nowhere = (np.empty(0, dtype=int), np.empty(0, dtype=int))
    pts = np.full((count, len(measures)), np.nan)
    stale_any = np.zeros(count, dtype=bool)
    status, raw = {}, {}
    for column, m in enumerate(measures):
        at, rows = by_metric.get(m.metric, nowhere)
        number, age = np.full(count, np.nan), np.full(count, np.nan)
        text = np.full(count, "", dtype=object)
        number[at], age[at] = numbers[rows], ages[rows]
        text[at] = clean_texts[rows]
        scored = points(m.rule, m.params, number, text, age)
        missing = np.ones(count, dtype=bool)
        missing[at] = False
        stale = np.zeros(count, dtype=bool)
        if m.stale_after_days is not None and m.rule != "recency":
            stale = (age > m.stale_after_days) & ~missing
        pts[:, column] = np.where(~missing & ~stale, scored, np.nan)  # NaN: unscorable
        stale_any |= stale
        if detail:
            status[m.key] = np.select(
                [stale, missing, np.isnan(scored)], [STALE, MISSING, UNSCORABLE], OK
            )
            raw[m.key] = np.full(count, np.nan, dtype=object)
            raw[m.key][at] = np.where(np.isnan(numbers[rows]), texts[rows], numbers[rows])

    score, effective, completeness = combined(pts, card)
    summary = pd.DataFrame(index=index)
    summary["score"] = score
    summary["completeness"] = completeness
    summary["stale"] = stale_any
    summary["level"] = level_of(summary["score"], card.levels)
    if not detail:
        return summary, None

    contribution = np.nan_to_num(pts) * effective  # an unusable measure weighs 0
    keys = [m.key for m in measures]

    def stacked(values: Any) -> pd.Series:
        return pd.DataFrame(values, index=index, columns=keys).stack(future_stack=True)

    table = pd.DataFrame(
        {
            "points": stacked(pts),
            "status": stacked(np.column_stack([status[k] for k in keys]) if keys else pts),
            "raw": stacked(np.column_stack([raw[k] for k in keys]) if keys else pts),
            "weight": stacked(effective),
            "contribution": stacked(contribution),
        }
    )
    table.index.names = ["account", "measure"]
    return summary, table


def combined(pts: np.ndarray, card: Card) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores from points (accounts × the card's measures, NaN where a measure cannot be
    scored): within a group, the usable measures' weights renormalized; across groups, the
    groups with a usable measure, renormalized. Returns each account's score (NaN with no
    usable measure), each measure's effective weight, and the completeness. The one place the
    CHS is made of its points: production's scoring and the Score Lab's candidates alike."""
    measures = list(card.measures)
    groups = list(card.groups)
    # Weights as arrays; `member` is measures × groups, one-hot.
    group_weights = np.array([card.groups[g] for g in groups], dtype=float)
    group_of = np.array([groups.index(m.group) for m in measures], dtype=int)
    weights = np.array([m.weight for m in measures], dtype=float)
    member = np.zeros((len(measures), len(groups)))
    member[np.arange(len(measures)), group_of] = 1.0

    usable = ~np.isnan(pts)
    usable_weight = usable * weights
    group_usable = usable_weight @ member
    across = (group_usable > 0) * group_weights
    across_total = across.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_in_group = usable_weight / group_usable[:, group_of]
        group_share = across[:, group_of] / across_total[:, None]  # 0 / 0: no group usable
    effective = share_in_group * group_share
    effective[np.isnan(effective)] = 0.0
    score = np.where(across_total > 0, (np.nan_to_num(pts) * effective).sum(axis=1), np.nan)
    group_total = weights @ member
    nominal = weights / group_total[group_of] * group_weights[group_of] / group_weights.sum()
    return score, effective, (usable * nominal).sum(axis=1)


def level_of(score: pd.Series, levels: Sequence[tuple[str, float]]) -> pd.Series:
    """The level whose lower bound is the highest one reached; '' without a score."""
    return band_of(score, levels)


# Where in a rule's parameters a problem lies: ("bands", 2, "points"), ("map", "strong"),
# ("from",); () is the parameters as a whole.
Place = tuple[str | int, ...]


def rule_errors(rule: str, params: Mapping[str, Any]) -> list[tuple[Place, str]]:
    """Every reason a measure's rule parameters are unusable, each with its place, so that an
    editor can show each beside its field. Empty when the parameters are usable."""
    try:
        if rule == "bands":
            return _band_errors(params["bands"])
        if rule == "linear":
            if float(params["from"]) == float(params["to"]):
                return [(("to",), "A linear rule needs two different bounds.")]
            return []
        if rule == "categorical":
            if not params["map"]:
                return [((), "Map at least one category to points.")]
            return [
                (("map", key), "Category points lie between 0 and 100.")
                for key, value in params["map"].items()
                if not 0 <= float(value) <= 100
            ]
        if rule == "recency":
            full, zero = float(params["full_days"]), float(params["zero_days"])
            if full < 0:
                return [(("full_days",), "Full points last 0 days or more.")]
            if not full < zero:
                return [(("zero_days",), "Full points must end before zero points begin.")]
            return []
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return [((), f"The {rule} rule's parameters are incomplete or not numbers ({error}).")]
    return [((), f"Unknown rule “{rule}”.")]


def _band_errors(bands: Sequence[Mapping[str, Any]]) -> list[tuple[Place, str]]:
    if not bands:
        return [((), "Give at least one band.")]
    errors: list[tuple[Place, str]] = []
    for index, band in enumerate(bands):
        if not 0 <= float(band["points"]) <= 100:
            errors.append((("bands", index, "points"), "Band points lie between 0 and 100."))
        low, high = band.get("from"), band.get("to")
        if low is not None and high is not None and float(high) <= float(low):
            errors.append(
                (
                    ("bands", index, "to"),
                    f"The band from {float(low):g} to {float(high):g} is empty.",
                )
            )
    for index, (a, b) in enumerate(pairwise(bands), start=1):
        a_to, b_from = a.get("to"), b.get("from")
        if a_to is None or b_from is None or float(b_from) < float(a_to):
            errors.append(
                (
                    ("bands", index, "from"),
                    "Bands overlap: list them in order, each starting where the last ends.",
                )
            )
    return errors


def rule_error(rule: str, params: Mapping[str, Any]) -> str | None:
    """The first reason a measure's rule parameters are unusable, or None."""
    errors = rule_errors(rule, params)
    return errors[0][1] if errors else None


def card_errors(card_spec: Mapping[str, Any]) -> dict[str, str]:
    """Every reason a scorecard spec (template-shaped) cannot be used, by place."""
    errors: dict[str, str] = {}
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
