"""The Customer Maturity Index, as pure functions over pandas frames. No ORM.

One implementation serves the single assessment, the account recompute and the bulk
recompute of a whole tenant:

- a factor's score is its answer, or (min + max - answer) for an inverted factor;
- a pillar's score is the mean of its answered factors;
- the index is the weighted mean of the pillars that have answers, their weights
  renormalized when a pillar has none (the assessment is then partial).

The deck's example (3,1,3 / 3,4,5 / 2,1,2 / 1,2,1 weighted 40/20/30/10) gives
2.33 / 4.0 / 1.67 / 1.33 and an index of 2.37, shown as 2.4.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

import numpy as np
import pandas as pd

SCALE = (1, 5)


# A value this close below a threshold has reached it: float sums of pillar means can land a
# hair short (2.4999999999999996 for an exact 2.5), and the tier must not depend on that.
AT_THRESHOLD = 1e-9


@dataclass(frozen=True)
class Structure:
    """What scoring needs of a framework version."""

    weights: Mapping[str, float]  # pillar key → weight in percent
    factors: Mapping[str, tuple[str, bool]]  # factor key → (pillar key, inverted)
    tiers: Sequence[tuple[str, float]] = field(default_factory=tuple)  # (name, lower), ascending

    def simplified(self) -> "Structure":
        """The customer survey's shape: one question per pillar, keyed by the pillar."""
        return Structure(
            weights=self.weights,
            factors={key: (key, False) for key in self.weights},
            tiers=self.tiers,
        )


@dataclass(frozen=True)
class Score:
    pillar_scores: dict[str, float | None]
    cmi: float | None
    completeness: float
    is_partial: bool
    tier: str = ""


def score_frame(answers: pd.DataFrame, structure: Structure) -> pd.DataFrame:
    """Score many subjects at once.

    `answers` has columns subject, factor, score (NaN for unknown). Rows naming factors the
    structure does not have are ignored. Returns one row per subject that has any row, with a
    column per pillar, then cmi, completeness (0-1) and is_partial.
    """
    low, high = SCALE
    pillar_keys = list(structure.weights)
    rows = answers[answers["factor"].isin(list(structure.factors))]
    pillar_of = {key: pillar for key, (pillar, _) in structure.factors.items()}
    inverted = [key for key, (_, flipped) in structure.factors.items() if flipped]
    scores = rows["score"].astype(float)
    scores = scores.where(~rows["factor"].isin(inverted), low + high - scores)
    frame = pd.DataFrame(
        {"subject": rows["subject"], "pillar": rows["factor"].map(pillar_of), "score": scores}
    )
    pillars = (
        frame.groupby(["subject", "pillar"])["score"].mean().unstack("pillar")
        if len(frame)
        else pd.DataFrame(index=pd.Index(answers["subject"].unique(), name="subject"))
    )
    pillars = pillars.reindex(columns=pillar_keys).astype(float)
    weights = pd.Series(structure.weights, dtype=float)
    present = pillars.notna()
    weight_present = present.mul(weights, axis=1).sum(axis=1)
    weighted = pillars.fillna(0.0).mul(weights, axis=1).sum(axis=1)
    result = pillars.copy()
    result["cmi"] = (weighted / weight_present).where(weight_present > 0)
    answered = frame.dropna(subset=["score"]).groupby("subject").size()
    result["completeness"] = answered.reindex(result.index).fillna(0) / max(
        len(structure.factors), 1
    )
    result["is_partial"] = ~present.all(axis=1)
    result.columns.name = None
    return result


def tier_of(cmi: pd.Series, tiers: Sequence[tuple[str, float]]) -> pd.Series:
    """The tier whose lower bound is the highest one at or below the index; '' without one."""
    if not tiers:
        return pd.Series("", index=cmi.index, dtype=object)
    names = np.array([name for name, _ in tiers], dtype=object)
    lowers = np.array([lower for _, lower in tiers], dtype=float)
    values = cmi.to_numpy(dtype=float)
    position = np.clip(
        np.searchsorted(lowers, values + AT_THRESHOLD, side="right") - 1, 0, len(tiers) - 1
    )
    return pd.Series(np.where(np.isnan(values), "", names[position]), index=cmi.index, dtype=object)


def score_answers(answers: Mapping[str, int | None], structure: Structure) -> Score:
    """Score one set of answers (factor key → 1-5 or None)."""
    frame = pd.DataFrame(
        {
            "subject": 0,
            "factor": list(answers),
            "score": pd.array(list(answers.values()), dtype="Float64").astype(float),
        }
    )
    if frame.empty:
        frame = pd.DataFrame({"subject": [0], "factor": [""], "score": [np.nan]})
    row = score_frame(frame, structure).iloc[0]
    cmi = None if pd.isna(row["cmi"]) else float(row["cmi"])
    return Score(
        pillar_scores={
            key: None if pd.isna(row[key]) else float(row[key]) for key in structure.weights
        },
        cmi=cmi,
        completeness=float(row["completeness"]),
        is_partial=bool(row["is_partial"]),
        tier="" if cmi is None else tier_of(pd.Series([cmi]), structure.tiers).iloc[0],
    )


def weights_error(weights: Sequence[Decimal]) -> str | None:
    """Why these pillar weights are unusable, or None."""
    if any(weight <= 0 for weight in weights):
        return "Every pillar needs a weight above 0%."
    total = sum(weights, Decimal(0))
    if total != 100:
        return f"Pillar weights must total 100%; these total {total.normalize():f}%."
    return None


def tiers_error(lowers: Sequence[Decimal], scale: tuple[int, int] = SCALE) -> str | None:
    """Why these tier thresholds are unusable, or None. The first tier starts at the floor."""
    low, high = scale
    if not lowers:
        return "A framework needs at least one tier."
    if lowers[0] != low:
        return f"The lowest tier must start at {low}."
    if any(not (low <= value <= high) for value in lowers):
        return f"Tier thresholds must lie between {low} and {high}."
    if any(b <= a for a, b in pairwise(lowers)):
        return "Tier thresholds must increase from one tier to the next."
    return None
