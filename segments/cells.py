"""Which grid cell an account belongs in. Pure: no ORM.

Rows are CHS levels and columns CMI tiers, both counted from the lowest. The deck's grid is
3×3; a scorecard or framework with another number of bands is folded onto three.
"""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# (CHS row, CMI column) → cell key, rows and columns from low to high.
GRID_3X3 = {
    (2, 0): "retain",
    (2, 1): "promote_maturity",
    (2, 2): "expand_and_leverage",
    (1, 0): "review_ltv_gm_medium",
    (1, 1): "core",
    (1, 2): "promote_solution",
    (0, 0): "churn",
    (0, 1): "review_ltv_gm_low",
    (0, 2): "save",
}
POSITION = {key: position for position, key in GRID_3X3.items()}
# Each layout's cells as a new grid names them: key, name, action, colour.
DEFAULT_CELLS = json.loads(
    (Path(__file__).resolve().parent / "grid_templates" / "cells.json").read_text()
)
CELLS = np.array([[GRID_3X3[(r, c)] for c in range(3)] for r in range(3)], dtype=object)

# The Promapp 2×2, folded from the 3×3: medium counts as low health and as high maturity.
GRID_2X2 = {
    (1, 0): "consult_governance",
    (1, 1): "happy",
    (0, 0): "at_risk",
    (0, 1): "tailored_training",
}


def fold(index: Any, bands: int, size: int = 3) -> Any:
    """Map band positions 0..bands-1 onto 0..size-1 (a Series or an array)."""
    return (index * size // max(bands, 1)).clip(0, size - 1)


def _positions(values: pd.Series, names: list[str]) -> np.ndarray:
    """Each value's position among `names` (the last, if a name repeats), -1 if absent."""
    lookup = {name: position for position, name in enumerate(names)}
    found = pd.Index(list(lookup)).get_indexer(values.to_numpy(dtype=object))
    positions = np.array([*lookup.values(), -1])  # -1 last: what `found == -1` picks
    result: np.ndarray = positions[found]
    return result


def segment_of(
    chs_level: pd.Series, cmi_tier: pd.Series, levels: list[str], tiers: list[str]
) -> pd.Series:
    """The 3×3 cell key of each account, or '' (unsegmented) when either score is missing.
    Numpy, not a pandas operation per step: one account's drain pays for each of those."""
    row, column = _positions(chs_level, levels), _positions(cmi_tier, tiers)
    placed = (row >= 0) & (column >= 0)
    keys = np.full(len(row), "", dtype=object)
    keys[placed] = CELLS[fold(row[placed], len(levels)), fold(column[placed], len(tiers))]
    return pd.Series(keys, index=chs_level.index, dtype=object)


def quadrant_of(cell: str) -> str:
    """The Promapp 2×2 cell that contains a 3×3 cell."""
    if cell not in POSITION:
        return ""
    row, column = POSITION[cell]
    return GRID_2X2[(1 if row == 2 else 0, 0 if column == 0 else 1)]


POSITION_2X2 = {key: position for position, key in GRID_2X2.items()}


def drawn(layout: str) -> list[list[str]]:
    """A layout's cell keys as the grid is drawn: the top row is the healthiest, and maturity
    grows from left to right."""
    positions = GRID_2X2 if layout == "2x2" else GRID_3X3
    size = 2 if layout == "2x2" else 3
    return [[positions[(row, column)] for column in range(size)] for row in reversed(range(size))]


def cell_in(cell: str, layout: str) -> str:
    """The cell of `layout` ("3x3" or "2x2") that holds a 3×3 cell."""
    return quadrant_of(cell) if layout == "2x2" else cell


def direction(from_cell: str, to_cell: str) -> str:
    """up when health and maturity together improved, down when they fell, else across; the
    cells are both of the 3×3 or both of the 2×2."""
    positions = POSITION_2X2 if from_cell in POSITION_2X2 or to_cell in POSITION_2X2 else POSITION
    if from_cell not in positions or to_cell not in positions:
        return "in" if to_cell in positions else "out"
    before, after = sum(positions[from_cell]), sum(positions[to_cell])
    return "up" if after > before else "down" if after < before else "across"


def fold_flows(matrix: dict[tuple[str, str], int], layout: str) -> dict[tuple[str, str], int]:
    """3×3 from → to counts as `layout` sees them: in the 2×2, a move inside one quadrant
    is no move, and moves between the same two quadrants add up."""
    folded: dict[tuple[str, str], int] = {}
    for (source, target), n in matrix.items():
        pair = (cell_in(source, layout), cell_in(target, layout))
        if pair[0] != pair[1] or layout != "2x2":
            folded[pair] = folded.get(pair, 0) + n
    return folded
