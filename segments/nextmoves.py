"""Next moves: the smallest changes to an account's inputs that take it to a better cell.

Pure: no ORM. Every candidate is scored by the production scoring modules (health.scoring for
the CHS, maturity.scoring for the CMI) over the account's current inputs with one or two of
them changed, and placed by segments.cells against today's thresholds, so a move promises
only what scoring would really give.

- The CHS side tries each measure alone at the nearest value that reaches the target level
  (the band edges of a bands rule, the categories of a categorical rule, fifty steps of a
  linear rule, a fresh observation for a recency rule); if none does alone, the measure that
  gains most is set at its best value and the others are tried again beside it.
- The CMI side raises the factor whose next step gains most, one step at a time (a lower
  score on an inverted factor), until the target tier is reached.
- A better neighbouring cell is one row up in health, one column up in maturity, or both.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from health import scoring as chs_scoring
from maturity import scoring as cmi_scoring

from .cells import GRID_3X3, POSITION, fold

LINEAR_STEPS = 50
MOVES_SHOWN = 3


@dataclass(frozen=True)
class Change:
    input: str  # the measure's or factor's name
    key: str  # the measure's metric, or the factor's key
    before: Any
    after: Any
    side: str  # "chs" or "cmi"
    size: float  # how far it moves, 0-1 of the input's range


@dataclass(frozen=True)
class Move:
    cell: str
    changes: list[Change]
    chs: float | None
    cmi: float | None
    size: float = field(default=0.0)

    @property
    def lifts_chs(self) -> bool:
        return any(c.side == "chs" for c in self.changes)

    @property
    def lifts_cmi(self) -> bool:
        return any(c.side == "cmi" for c in self.changes)


def _lower_of_row(bands: Sequence[tuple[str, float]], row: int) -> float | None:
    """The lowest bound whose band folds onto `row` of the 3×3 grid; None above the top."""
    for position, (_, lower) in enumerate(bands):
        if int(fold(np.array([position]), len(bands))[0]) == row:
            return float(lower)
    return None


# CHS --------------------------------------------------------------------------------------


def _with(latest: pd.DataFrame, account: int, metric: str, value: Any, as_of) -> pd.DataFrame:
    """The account's latest values with `metric` set to `value`, observed at `as_of`."""
    kept = latest[latest["metric"] != metric]
    number, text = (value, "") if isinstance(value, (int, float)) else (np.nan, str(value))
    row = pd.DataFrame(
        {
            "account": [account],
            "metric": [metric],
            "number": [float(number)],
            "text": [text],
            "observed_at": [as_of],
        }
    )
    return pd.concat([kept, row], ignore_index=True) if len(kept) else row


def chs_of(latest: pd.DataFrame, card: chs_scoring.Card, account: int, as_of) -> float | None:
    summary, _ = chs_scoring.score_frame(
        latest, card, accounts=[account], as_of=as_of, detail=False
    )
    score = summary["score"].iloc[0]
    return None if pd.isna(score) else float(score)


def _current(latest: pd.DataFrame, metric: str) -> tuple[Any, Any]:
    rows = latest[latest["metric"] == metric]
    if rows.empty:
        return None, None
    number, text = rows["number"].iloc[0], rows["text"].iloc[0]
    return (None if pd.isna(number) else float(number)), (text or None)


def _candidates(measure: chs_scoring.MeasureSpec, number, text) -> list[tuple[Any, float]]:
    """(value, size) to try for a measure, nearest first; size is 0-1 of its range."""
    params, rule = measure.params, measure.rule
    if rule == "bands":
        edges = sorted({float(b["from"]) for b in params["bands"] if b.get("from") is not None})
        tops = [float(b["to"]) for b in params["bands"] if b.get("to") is not None]
        span = (max(tops + edges) - min(tops + edges)) or 1.0
        start = number if number is not None else min(edges, default=0.0)
        return sorted(
            ((edge, abs(edge - start) / span) for edge in edges if edge != number),
            key=lambda c: c[1],
        )
    if rule == "linear":
        low, high = float(params["from"]), float(params["to"])
        start = number if number is not None else low
        steps = np.linspace(start, high, LINEAR_STEPS + 1)[1:]
        return [(round(float(v), 2), abs(v - start) / (abs(high - low) or 1.0)) for v in steps]
    if rule == "categorical":
        ranked = sorted(params["map"].items(), key=lambda kv: float(kv[1]))
        now = str(text or "").lower()
        return [(k, 1.0 / len(ranked)) for k, _ in ranked if str(k).lower() != now]
    if rule == "recency":  # a fresh observation of the same value
        return [(number if number is not None else (text or 0.0), 0.1)]
    return []


def _best(latest, card, account, as_of, measure) -> tuple[Any, float | None, float]:
    number, text = _current(latest, measure.metric)
    best: tuple[Any, float | None, float] = (None, None, 0.0)
    for value, size in _candidates(measure, number, text):
        score = chs_of(_with(latest, account, measure.metric, value, as_of), card, account, as_of)
        if score is not None and (best[1] is None or score > best[1]):
            best = (value, score, size)
    return best


def chs_changes(
    latest: pd.DataFrame, card: chs_scoring.Card, account: int, as_of, target: float
) -> tuple[list[Change], float | None] | None:
    """The smallest set of one or two measure changes that lifts the CHS to `target`, and the
    CHS it gives; None when no such change exists."""

    def single(frame) -> list[tuple[Change, float]]:
        found = []
        for m in card.measures:
            number, text = _current(frame, m.metric)
            for value, size in _candidates(m, number, text):
                changed = _with(frame, account, m.metric, value, as_of)
                score = chs_of(changed, card, account, as_of)
                if score is not None and score >= target:
                    before = number if number is not None else text
                    found.append((Change(m.name, m.metric, before, value, "chs", size), score))
                    break
        return sorted(found, key=lambda f: f[0].size)

    alone = single(latest)
    if alone:
        change, score = alone[0]
        return [change], score
    gains = [(m, *_best(latest, card, account, as_of, m)) for m in card.measures]
    gains = [g for g in gains if g[1] is not None and g[2] is not None]
    if not gains:
        return None
    first, value, _, size = max(gains, key=lambda g: g[2] or 0.0)
    number, text = _current(latest, first.metric)
    step = Change(
        first.name, first.metric, number if number is not None else text, value, "chs", size
    )
    beside = single(_with(latest, account, first.metric, value, as_of))
    beside = [b for b in beside if b[0].key != first.metric]
    if not beside:
        return None
    change, score = beside[0]
    return [step, change], score


# CMI --------------------------------------------------------------------------------------


def cmi_of(answers: Mapping[str, int | None], structure: cmi_scoring.Structure) -> float | None:
    return cmi_scoring.score_answers(answers, structure).cmi


def cmi_changes(
    answers: Mapping[str, int | None],
    structure: cmi_scoring.Structure,
    names: Mapping[str, str],
    target: float,
) -> tuple[list[Change], float | None] | None:
    """One-step raises of the factors that gain most, until the CMI reaches `target`."""
    low, high = cmi_scoring.SCALE
    current: dict[str, int] = {k: v for k, v in answers.items() if v is not None}
    start = dict(current)
    score = cmi_of({**answers, **current}, structure)
    while score is not None and score < target:
        options = []
        for key, (_, inverted) in structure.factors.items():
            value = current.get(key)
            if value is None:
                continue
            nxt = value - 1 if inverted else value + 1
            if low <= nxt <= high:
                gained = cmi_of({**answers, **current, key: nxt}, structure)
                if gained is not None and gained > score:
                    options.append((gained, key, nxt))
        if not options:
            return None
        score, key, nxt = max(options)
        current[key] = nxt
    changes = [
        Change(
            names.get(key, key),
            key,
            start[key],
            current[key],
            "cmi",
            abs(current[key] - start[key]) / (high - low),
        )
        for key in structure.factors
        if current.get(key) != start.get(key)
    ]
    return changes, score


# Cells ------------------------------------------------------------------------------------


def next_moves(
    *,
    cell: str,
    chs_search: Callable[[float], tuple[list[Change], float | None] | None],
    cmi_search: Callable[[float], tuple[list[Change], float | None] | None],
    levels: Sequence[tuple[str, float]],
    tiers: Sequence[tuple[str, float]],
    chs: float | None,
    cmi: float | None,
) -> list[Move]:
    """For each better neighbouring cell of `cell`, the changes that reach it, smallest first."""
    if cell not in POSITION:
        return []
    row, column = POSITION[cell]
    moves = []
    for up, right in ((1, 0), (0, 1), (1, 1)):
        target = GRID_3X3.get((row + up, column + right))
        if target is None:
            continue
        changes: list[Change] = []
        new_chs, new_cmi = chs, cmi
        if up:
            bound = _lower_of_row(levels, row + up)
            found = chs_search(bound) if bound is not None else None
            if found is None:
                continue
            changes += found[0]
            new_chs = found[1]
        if right:
            bound = _lower_of_row(tiers, column + right)
            found = cmi_search(bound) if bound is not None else None
            if found is None:
                continue
            changes += found[0]
            new_cmi = found[1]
        size = sum(c.size for c in changes) + len(changes)
        moves.append(Move(target, changes, new_chs, new_cmi, size))
    return sorted(moves, key=lambda m: m.size)[:MOVES_SHOWN]
