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

from core.bands import band_of

SCALE = (1, 5)


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
    # Numpy, not a groupby: one assessment pays pandas' fixed cost per operation. A factor's
    # code is its position in the structure: -1 for a key it does not have, or no key.
    factor_codes = pd.Index(list(structure.factors)).get_indexer(answers["factor"])
    kept = factor_codes >= 0
    pillar_of = np.array([pillar_keys.index(p) for p, _ in structure.factors.values()], dtype=int)
    inverted = np.array([flip for _, flip in structure.factors.values()], dtype=bool)
    every, subjects = pd.factorize(answers["subject"].to_numpy())  # each subject with a row
    codes, factors = every[kept], factor_codes[kept]
    count, width = len(subjects), len(pillar_keys)
    scores = answers["score"].to_numpy(dtype=float)[kept]
    scores = np.where(inverted[factors], low + high - scores, scores)
    answered = ~np.isnan(scores)
    cell = codes * width + pillar_of[factors]
    sums = np.bincount(cell[answered], scores[answered], minlength=count * width)
    counts = np.bincount(cell[answered], minlength=count * width)
    with np.errstate(invalid="ignore"):
        pillars = (sums / counts).reshape(count, width)  # NaN: a pillar without answers
    weights = np.array([structure.weights[key] for key in pillar_keys], dtype=float)
    present = ~np.isnan(pillars)
    weight_present = (present * weights).sum(axis=1)
    weighted = (np.where(present, pillars, 0.0) * weights).sum(axis=1)
    result = pd.DataFrame(pillars, index=pd.Index(subjects, name="subject"), columns=pillar_keys)
    with np.errstate(invalid="ignore", divide="ignore"):
        result["cmi"] = weighted / weight_present  # 0 / 0: no pillar answered, no index
    per_subject = np.bincount(codes[answered], minlength=count)
    result["completeness"] = per_subject / max(len(structure.factors), 1)
    result["is_partial"] = ~present.all(axis=1)
    return result


def tier_of(cmi: pd.Series, tiers: Sequence[tuple[str, float]]) -> pd.Series:
    """The tier whose lower bound is the highest one at or below the index; '' without one."""
    return band_of(cmi, tiers)


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
