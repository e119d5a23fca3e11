"""Cell assignment at and around every threshold, on plain data."""

import pandas as pd
import pytest

from health.scoring import level_of
from maturity.scoring import tier_of
from segments.cells import direction, fold, quadrant_of, segment_of

LEVELS = [("Low", 0.0), ("Medium", 40.0), ("High", 70.0)]
TIERS = [("Low", 1.0), ("Medium", 2.5), ("High", 3.5)]


def place(chs, cmi):
    level = level_of(pd.Series([chs], dtype=float), LEVELS)
    tier = tier_of(pd.Series([cmi], dtype=float), TIERS)
    return segment_of(level, tier, [n for n, _ in LEVELS], [n for n, _ in TIERS]).iloc[0]


@pytest.mark.parametrize(
    ("chs", "cmi", "cell"),
    [
        (0, 1.0, "churn"),
        (39.99, 2.49, "churn"),
        (39.99, 2.5, "review_ltv_gm_low"),
        (39.99, 3.49, "review_ltv_gm_low"),
        (39.99, 3.5, "save"),
        (0, 5.0, "save"),
        (40, 2.49, "review_ltv_gm_medium"),
        (40, 2.5, "core"),
        (69.99, 3.49, "core"),
        (69.99, 3.5, "promote_solution"),
        (70, 2.49, "retain"),
        (70, 2.5, "promote_maturity"),
        (100, 3.49, "promote_maturity"),
        (70, 3.5, "expand_and_leverage"),
        (100, 5.0, "expand_and_leverage"),
    ],
)
def test_cells_at_and_around_every_threshold(chs, cmi, cell):
    assert place(chs, cmi) == cell


@pytest.mark.parametrize(("chs", "cmi"), [(None, 3.0), (50, None), (None, None)])
def test_an_account_missing_a_score_is_unsegmented(chs, cmi):
    assert place(chs, cmi) == ""


def test_other_band_counts_fold_onto_three():
    assert fold(pd.Series([0, 1, 2, 3]), 4).tolist() == [0, 0, 1, 2]
    assert fold(pd.Series([0, 1, 2, 3, 4]), 5).tolist() == [0, 0, 1, 1, 2]
    assert fold(pd.Series([0, 1]), 2).tolist() == [0, 1]


def test_the_promapp_quadrants():
    assert quadrant_of("expand_and_leverage") == "happy"
    assert quadrant_of("retain") == "consult_governance"
    assert quadrant_of("save") == "tailored_training"
    assert quadrant_of("churn") == "at_risk"
    assert quadrant_of("") == ""


def test_directions():
    assert direction("churn", "save") == "up"
    assert direction("expand_and_leverage", "core") == "down"
    assert direction("retain", "core") == "across"
    assert direction("", "core") == "in" and direction("core", "") == "out"


def test_cells_equal_a_value_by_value_reference_on_random_bands_and_names():
    """Any number of bands (none, repeated names), unknown names, blanks and None, any index."""
    import random

    from segments.cells import GRID_3X3

    def reference(level, tier, levels, tiers):
        rows = {name: i for i, name in enumerate(levels)}
        columns = {name: i for i, name in enumerate(tiers)}
        if level not in rows or tier not in columns:
            return ""
        row = min(rows[level] * 3 // len(levels), 2)
        column = min(columns[tier] * 3 // len(tiers), 2)
        return GRID_3X3[(row, column)]

    rng = random.Random(3)
    for _ in range(300):
        levels = [f"L{i}" for i in range(rng.randint(0, 6))]
        tiers = [f"T{i}" for i in range(rng.randint(0, 6))]
        if levels and rng.random() < 0.3:
            levels.append(levels[0])
        count = rng.randint(0, 20)
        index = rng.sample(range(10_000), count)
        chs = [rng.choice([*levels, "", None, "other"]) for _ in range(count)]
        cmi = [rng.choice([*tiers, "", None, "other"]) for _ in range(count)]
        cells = segment_of(
            pd.Series(chs, index=index, dtype=object),
            pd.Series(cmi, index=index, dtype=object),
            levels,
            tiers,
        )
        assert list(cells.index) == index
        expected = [reference(a, b, levels, tiers) for a, b in zip(chs, cmi, strict=True)]
        assert cells.tolist() == expected
