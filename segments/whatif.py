"""What candidate weights would change on the grid: which accounts change band and cell, and
the ARR that moves with them. Pure: no ORM.

`before` and `after` hold, per account (the index), its `band` (the CMI tier or CHS level
the candidate changes) and its `cell`, both computed by the production scoring modules, once
with today's weights and once with the candidate's. '' is "not placed".
"""

from collections.abc import Mapping
from typing import Any

import pandas as pd


def cell_moves(
    before: pd.DataFrame, after: pd.DataFrame, arr: pd.Series, names: Mapping[str, str]
) -> dict[str, Any]:
    """Counts of band and cell changes, the ARR of the accounts that change cell, and the
    from→to matrix as a list of (from, to) pairs with their accounts and ARR (the diagonal
    included: the accounts that stay). Pairs run in grid order, then by ARR."""
    after = after.reindex(before.index)
    arr = arr.reindex(before.index).fillna(0.0).astype(float)
    band_changed = before["band"] != after["band"]
    cell_changed = before["cell"] != after["cell"]
    pairs = (
        pd.DataFrame({"from": before["cell"], "to": after["cell"], "arr": arr})
        .groupby(["from", "to"], sort=False)
        .agg(accounts=("arr", "size"), arr=("arr", "sum"))
        .reset_index()
    )
    order = {key: position for position, key in enumerate([*names, ""])}
    pairs["rank"] = pairs["from"].map(order).fillna(len(order)) * 100 + pairs["to"].map(
        order
    ).fillna(len(order))
    pairs = pairs.sort_values(["rank", "arr"], ascending=[True, False], kind="stable")
    return {
        "accounts": len(before),
        "band_changes": int(band_changed.sum()),
        "cell_changes": int(cell_changed.sum()),
        "arr_moving": round(float(arr[cell_changed].sum()), 2),
        "matrix": [
            {
                "from_cell": row["from"],
                "from_name": names.get(row["from"], "Not placed"),
                "to_cell": row["to"],
                "to_name": names.get(row["to"], "Not placed"),
                "accounts": int(row["accounts"]),
                "arr": round(float(row["arr"]), 2),
            }
            for _, row in pairs.iterrows()
        ],
    }


def matrix_grid(moves: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The matrix as a table: a row per 'from' cell, a column per 'to' cell (the cells that
    occur), each entry (accounts, arr) or None."""
    keys = [
        key
        for key in [*names, ""]
        if any(key in (m["from_cell"], m["to_cell"]) for m in moves["matrix"])
    ]
    entries = {(m["from_cell"], m["to_cell"]): m for m in moves["matrix"]}
    return {
        "columns": [names.get(key, "Not placed") for key in keys],
        "rows": [
            {
                "name": names.get(start, "Not placed"),
                "cells": [
                    {"entry": entries.get((start, end)), "stays": start == end} for end in keys
                ],
            }
            for start in keys
        ],
    }
