"""Next moves: the smallest changes to an account's inputs that take it to a better cell.

Pure: no ORM. Every candidate is scored by the production scoring modules (health.scoring for
the CHS, maturity.scoring for the CMI) over the account's current inputs with one or two of
them changed, and placed by segments.cells against today's thresholds, so a move promises
only what scoring would really give.

- The CHS side tries each measure alone at the nearest value that reaches the target level
  (the band edges of a bands rule, the categories of a categorical rule, twenty steps of a
  linear rule, a fresh observation for a recency rule), measures with a value before those
  without; if none does alone, the measure that
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

from .cells import GRID_3X3, POSITION, fold, segment_of

LINEAR_STEPS = 20
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
    """(value, size) to try for a measure, nearest first; size is 0-1 of its range, plus 1
    for a measure with no value yet (a move of the customer's beats a gap in the data)."""
    found = _steps(measure, number, text)
    gap = 1.0 if number is None and text is None else 0.0
    return [(value, size + gap) for value, size in found]


def _steps(measure: chs_scoring.MeasureSpec, number, text) -> list[tuple[Any, float]]:
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


def _variants(frame: pd.DataFrame, card, account: int, as_of) -> list[tuple[Any, Any, float]]:
    """Every (measure, value, size) candidate of `frame`, nearest first within a measure."""
    found = []
    for m in card.measures:
        number, text = _current(frame, m.metric)
        found += [(m, value, size) for value, size in _candidates(m, number, text)]
    return found


def _scores(frame: pd.DataFrame, card, account: int, as_of, variants) -> list[float | None]:
    """The CHS of each variant, in one score_frame call: variant i is scored as pseudo-account
    i + 1 (0 stays unused), with its measure set to its value."""
    if not variants:
        return []
    pieces = []
    for index, (m, value, _) in enumerate(variants, start=1):
        piece = _with(frame, account, m.metric, value, as_of)
        pieces.append(piece.assign(account=index))
    batch = pd.concat(pieces, ignore_index=True)
    summary, _ = chs_scoring.score_frame(
        batch, card, accounts=list(range(1, len(variants) + 1)), as_of=as_of, detail=False
    )
    return [None if pd.isna(v) else float(v) for v in summary["score"].tolist()]


def chs_changes(
    latest: pd.DataFrame, card: chs_scoring.Card, account: int, as_of, target: float
) -> tuple[list[Change], float | None] | None:
    """The smallest set of one or two measure changes that lifts the CHS to `target`, and the
    CHS it gives; None when no such change exists."""

    def before_of(frame, metric):
        number, text = _current(frame, metric)
        return number if number is not None else text

    def single(frame) -> list[tuple[Change, float]]:
        variants = _variants(frame, card, account, as_of)
        found: dict[str, tuple[Change, float]] = {}
        for (m, value, size), score in zip(
            variants, _scores(frame, card, account, as_of, variants), strict=True
        ):
            if m.metric not in found and score is not None and score >= target:
                change = Change(m.name, m.metric, before_of(frame, m.metric), value, "chs", size)
                found[m.metric] = (change, score)
        return sorted(found.values(), key=lambda f: f[0].size)

    alone = single(latest)
    if alone:
        change, score = alone[0]
        return [change], score
    variants = _variants(latest, card, account, as_of)
    scored = [
        (score, m, value, size)
        for (m, value, size), score in zip(
            variants, _scores(latest, card, account, as_of, variants), strict=True
        )
        if score is not None
    ]
    if not scored:
        return None
    _, first, value, size = max(scored, key=lambda g: (g[0], -g[3]))
    step = Change(first.name, first.metric, before_of(latest, first.metric), value, "chs", size)
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


def cell_of(
    chs: float | None,
    cmi: float | None,
    levels: Sequence[tuple[str, float]],
    tiers: Sequence[tuple[str, float]],
) -> str:
    """The 3×3 cell these scores fall in, as the recompute places them ('' if either lacks)."""
    level = chs_scoring.level_of(pd.Series([chs], dtype=float), levels).iloc[0]
    tier = cmi_scoring.tier_of(pd.Series([cmi], dtype=float), tiers).iloc[0]
    names = ([n for n, _ in levels], [n for n, _ in tiers])
    return str(segment_of(pd.Series([level or ""]), pd.Series([tier or ""]), *names).iloc[0])


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
    """For each better neighbouring cell of `cell`, the changes that reach it, smallest first.
    A change may overshoot (a category worth more than the next level needs): the move then
    promises the cell its scores really fall in, and one move per cell is kept."""
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
        landed = cell_of(new_chs, new_cmi, levels, tiers)
        if landed in POSITION and sum(POSITION[landed]) > sum(POSITION[cell]):
            moves.append(Move(landed, changes, new_chs, new_cmi, size))
    kept: dict[str, Move] = {}
    for move in sorted(moves, key=lambda m: m.size):
        kept.setdefault(move.cell, move)
    return list(kept.values())[:MOVES_SHOWN]
