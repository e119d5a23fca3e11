"""The what-if of candidate weights: counts, ARR and the from→to matrix."""

import pandas as pd

from segments.whatif import cell_moves, matrix_grid

NAMES = {"churn": "Churn", "core": "Core", "save": "Save"}


def frame(rows):
    return pd.DataFrame(rows, columns=["account", "band", "cell"]).set_index("account")


def test_moves_count_band_and_cell_changes_and_the_arr_that_moves():
    before = frame([(1, "Low", "churn"), (2, "Low", "churn"), (3, "Mid", "core"), (4, "", "")])
    after = frame([(1, "Mid", "core"), (2, "Low", "churn"), (3, "Mid", "core"), (4, "", "")])
    arr = pd.Series({1: 1500.0, 2: 200.0, 3: 300.0, 4: 50.0})
    moves = cell_moves(before, after, arr, NAMES)
    assert (moves["accounts"], moves["band_changes"], moves["cell_changes"]) == (4, 1, 1)
    assert moves["arr_moving"] == 1500.0
    pairs = {(m["from_cell"], m["to_cell"]): (m["accounts"], m["arr"]) for m in moves["matrix"]}
    assert pairs == {
        ("churn", "core"): (1, 1500.0),
        ("churn", "churn"): (1, 200.0),
        ("core", "core"): (1, 300.0),
        ("", ""): (1, 50.0),
    }
    assert [m["from_name"] for m in moves["matrix"]][-1] == "Not placed"  # grid order, then ''


def test_the_grid_has_a_row_and_a_column_per_cell_that_occurs():
    before = frame([(1, "Low", "churn"), (2, "Mid", "core")])
    after = frame([(1, "Mid", "core"), (2, "Mid", "core")])
    grid = matrix_grid(cell_moves(before, after, pd.Series({1: 1.0, 2: 2.0}), NAMES), NAMES)
    assert grid["columns"] == ["Churn", "Core"]
    churn_row = grid["rows"][0]["cells"]
    assert churn_row[0]["entry"] is None and churn_row[0]["stays"]
    assert churn_row[1]["entry"]["accounts"] == 1 and not churn_row[1]["stays"]
