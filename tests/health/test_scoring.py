"""The CHS formula, on plain data."""

import numpy as np
import pandas as pd
import pytest

from health import scoring
from health.scoring import Card, MeasureSpec

NOW = pd.Timestamp("2026-06-01T12:00:00Z")


def test_numeric_bands_start_inclusive_and_end_exclusive():
    bands = {
        "bands": [
            {"from": None, "to": 1, "points": 100},
            {"from": 1, "to": 3, "points": 60},
            {"from": 3, "to": None, "points": 0},
        ]
    }
    values = pd.Series([-2, 0, 0.99, 1, 2.99, 3, 1000], dtype=float)
    result = scoring.points("bands", bands, values, values.astype(str), values)
    assert result.tolist() == [100, 100, 100, 60, 60, 0, 0]


def test_a_value_outside_every_band_cannot_be_scored():
    bands = {"bands": [{"from": 0, "to": 10, "points": 50}]}
    values = pd.Series([-1.0, 10.0, 5.0])
    assert np.isnan(scoring.points("bands", bands, values, values, values)).tolist() == [
        True,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("start", "end", "value", "expected"),
    [
        (10, 70, 10, 0),
        (10, 70, 40, 50),
        (10, 70, 70, 100),
        (10, 70, 200, 100),
        (10, 70, -5, 0),
        (60, 0, 0, 100),
        (60, 0, 15, 75),
        (60, 0, 60, 0),
        (60, 0, 90, 0),
    ],
)
def test_linear_rules_run_in_either_direction_and_clip(start, end, value, expected):
    values = pd.Series([float(value)])
    result = scoring.points("linear", {"from": start, "to": end}, values, values, values)
    assert result[0] == pytest.approx(expected)


def test_a_categorical_map_ignores_case_and_leaves_unknown_categories_out():
    params = {"map": {"Strong": 100, "weak": 20}}
    text = pd.Series(["strong", "WEAK", "bogus", ""])
    result = scoring.points("categorical", params, pd.Series([np.nan] * 4), text, text)
    assert result[:2].tolist() == [100, 20] and np.isnan(result[2:]).all()


@pytest.mark.parametrize(("days", "expected"), [(0, 100), (14, 100), (52, 50), (90, 0), (400, 0)])
def test_recency_scores_the_age_of_the_latest_observation(days, expected):
    age = pd.Series([float(days)])
    params = {"full_days": 14, "zero_days": 90}
    assert scoring.points("recency", params, age, age, age)[0] == pytest.approx(expected)


CARD = Card(
    groups={"a": 60, "b": 40},
    measures=[
        MeasureSpec("usage", "Usage", "a", "usage", 50, "linear", {"from": 0, "to": 100}, 30),
        MeasureSpec("tickets", "Tickets", "a", "tickets", 50, "linear", {"from": 10, "to": 0}, 30),
        MeasureSpec("nps", "NPS", "b", "nps", 100, "linear", {"from": -100, "to": 100}),
    ],
    levels=[("Low", 0), ("Medium", 40), ("High", 70)],
)


def metrics(*rows):
    return pd.DataFrame(rows, columns=["account", "metric", "number", "text", "observed_at"])


def at(days_ago):
    return NOW - pd.Timedelta(days=days_ago)


def test_a_full_account_is_the_weighted_sum_and_its_contributions_add_up():
    frame = metrics(
        (1, "usage", 80, "", at(1)), (1, "tickets", 5, "", at(1)), (1, "nps", 20, "", at(5))
    )
    summary, detail = scoring.score_frame(frame, CARD, accounts=[1], as_of=NOW)
    expected = 0.6 * (0.5 * 80 + 0.5 * 50) + 0.4 * 60
    assert summary.loc[1, "score"] == pytest.approx(expected)
    assert detail["contribution"].sum() == pytest.approx(expected)
    assert summary.loc[1, "completeness"] == 1.0 and not summary.loc[1, "stale"]
    assert summary.loc[1, "level"] == "Medium"


def test_a_missing_measure_is_left_out_and_its_group_renormalized():
    frame = metrics((1, "usage", 80, "", at(1)), (1, "nps", 20, "", at(5)))
    summary, detail = scoring.score_frame(frame, CARD, accounts=[1], as_of=NOW)
    assert summary.loc[1, "score"] == pytest.approx(0.6 * 80 + 0.4 * 60)
    assert summary.loc[1, "completeness"] == pytest.approx(0.7)
    assert detail.loc[(1, "tickets"), "status"] == "missing"


def test_a_stale_value_is_left_out_and_flagged():
    frame = metrics(
        (1, "usage", 80, "", at(31)), (1, "tickets", 5, "", at(1)), (1, "nps", 20, "", at(400))
    )
    summary, detail = scoring.score_frame(frame, CARD, accounts=[1], as_of=NOW)
    assert detail.loc[(1, "usage"), "status"] == "stale"
    assert detail.loc[(1, "nps"), "status"] == "ok"  # nps has no staleness window
    assert summary.loc[1, "stale"]
    assert summary.loc[1, "score"] == pytest.approx(0.6 * 50 + 0.4 * 60)


def test_a_whole_group_missing_renormalizes_across_groups():
    frame = metrics((1, "nps", 20, "", at(5)))
    summary, detail = scoring.score_frame(frame, CARD, accounts=[1], as_of=NOW)
    assert summary.loc[1, "score"] == pytest.approx(60)
    assert summary.loc[1, "completeness"] == pytest.approx(0.4)
    assert detail.loc[(1, "usage"), "weight"] == detail.loc[(1, "tickets"), "weight"] == 0


def test_no_data_at_all_has_no_score():
    summary, detail = scoring.score_frame(metrics(), CARD, accounts=[1, 2], as_of=NOW)
    assert summary["score"].isna().all() and (summary["completeness"] == 0).all()
    assert (summary["level"] == "").all() and set(detail["status"]) == {"missing"}


@pytest.mark.parametrize(
    ("score", "level"),
    [(0, "Low"), (39.99, "Low"), (40, "Medium"), (69.9, "Medium"), (70, "High"), (100, "High")],
)
def test_levels_include_their_lower_bound(score, level):
    assert scoring.level_of(pd.Series([float(score)]), CARD.levels).iloc[0] == level


def spec(**changes):
    base = {
        "groups": [
            {
                "key": "a",
                "name": "A",
                "weight": 60,
                "measures": [
                    {
                        "key": "m1",
                        "name": "M1",
                        "weight": 100,
                        "rule": "linear",
                        "params": {"from": 0, "to": 1},
                    }
                ],
            },
            {
                "key": "b",
                "name": "B",
                "weight": 40,
                "measures": [
                    {
                        "key": "m2",
                        "name": "M2",
                        "weight": 100,
                        "rule": "bands",
                        "params": {
                            "bands": [
                                {"from": 0, "to": 5, "points": 10},
                                {"from": 5, "to": None, "points": 90},
                            ]
                        },
                    }
                ],
            },
        ],
        "levels": [{"name": "Low", "lower": 0}, {"name": "High", "lower": 50}],
    }
    base.update(changes)
    return base


def test_a_valid_scorecard_has_no_errors():
    assert scoring.card_errors(spec()) == {}


def test_group_weights_not_totalling_100_are_refused():
    card = spec()
    card["groups"][0]["weight"] = 50
    assert "these total 90%" in scoring.card_errors(card)["groups"]


def test_measure_weights_not_totalling_100_are_refused():
    card = spec()
    card["groups"][0]["measures"][0]["weight"] = 80
    assert "A: measure weights must total 100%" in scoring.card_errors(card)["a"]


def test_overlapping_bands_are_refused():
    card = spec()
    card["groups"][1]["measures"][0]["params"]["bands"][1]["from"] = 4
    assert "overlap" in scoring.card_errors(card)["m2"]


def test_unordered_levels_are_refused():
    assert (
        "increase"
        in scoring.card_errors(
            spec(
                levels=[
                    {"name": "Low", "lower": 0},
                    {"name": "High", "lower": 60},
                    {"name": "Mid", "lower": 40},
                ]
            )
        )["levels"]
    )


@pytest.mark.parametrize(
    ("rule", "params", "message"),
    [
        ("linear", {"from": 3, "to": 3}, "two different"),
        ("recency", {"full_days": 30, "zero_days": 10}, "before zero points begin"),
        ("categorical", {"map": {}}, "at least one"),
        ("categorical", {"map": {"x": 120}}, "between 0 and 100"),
        ("linear", {"from": "a", "to": 1}, "not numbers"),
        ("bands", {"bands": [{"from": 5, "to": 1, "points": 1}]}, "empty"),
    ],
)
def test_bad_rule_parameters_are_refused(rule, params, message):
    assert message in scoring.rule_error(rule, params)


@pytest.mark.parametrize("template", ["chs", "six_part"])
def test_the_shipped_templates_are_valid(template):
    from health.services import template_load

    assert scoring.card_errors(template_load(template)) == {}


# The boundaries and branches mutation testing found unchecked (scripts/mutate.py).


def test_a_card_and_its_measures_cannot_be_changed_once_built():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        CARD.levels = []
    with pytest.raises(dataclasses.FrozenInstanceError):
        CARD.measures[0].weight = 10


def test_bands_and_linear_rules_take_plain_lists_of_numbers():
    bands = {
        "bands": [{"from": None, "to": 10, "points": 20}, {"from": 10, "to": None, "points": 80}]
    }
    assert scoring.points("bands", bands, [5, 10], None, None).tolist() == [20, 80]
    assert scoring.points("linear", {"from": 0, "to": 10}, [5], None, None).tolist() == [50]


def test_staleness_starts_just_past_its_window_not_on_it():
    on_the_day = metrics((1, "usage", 80, "", at(30)), (1, "nps", 20, "", at(5)))
    a_second_later = metrics(
        (1, "usage", 80, "", at(30) - pd.Timedelta(seconds=1)), (1, "nps", 20, "", at(5))
    )
    _, detail = scoring.score_frame(on_the_day, CARD, accounts=[1], as_of=NOW)
    assert detail.loc[(1, "usage"), "status"] == "ok"
    _, detail = scoring.score_frame(a_second_later, CARD, accounts=[1], as_of=NOW)
    assert detail.loc[(1, "usage"), "status"] == "stale"


UNEVEN = Card(
    groups={"a": 99.5, "b": 0.5},
    measures=[
        MeasureSpec("big", "Big", "a", "big", 99.5, "linear", {"from": 0, "to": 100}),
        MeasureSpec("small", "Small", "a", "small", 0.5, "linear", {"from": 0, "to": 100}),
        MeasureSpec("tiny", "Tiny", "b", "tiny", 100, "linear", {"from": 0, "to": 100}),
    ],
    levels=[("Low", 0), ("High", 50)],
)


def test_in_group_weights_count_as_given_not_as_equal_shares():
    frame = metrics(
        (1, "big", 100, "", at(1)), (1, "small", 0, "", at(1)), (1, "tiny", 0, "", at(1))
    )
    summary, detail = scoring.score_frame(frame, UNEVEN, accounts=[1], as_of=NOW)
    assert summary.loc[1, "score"] == pytest.approx(0.995 * 99.5)
    assert detail.loc[(1, "small"), "weight"] == pytest.approx(0.995 * 0.005)


def test_a_measure_or_group_of_under_1_percent_still_scores_alone():
    summary, _ = scoring.score_frame(
        metrics((1, "small", 40, "", at(1))), UNEVEN, accounts=[1], as_of=NOW
    )
    assert summary.loc[1, "score"] == pytest.approx(40)  # its group renormalized to it
    summary, _ = scoring.score_frame(
        metrics((1, "tiny", 30, "", at(1))), UNEVEN, accounts=[1], as_of=NOW
    )
    assert summary.loc[1, "score"] == pytest.approx(30)  # its group, the only one with data


def test_a_missing_measure_has_a_detail_row_with_no_weight():
    frame = metrics((1, "usage", 80, "", at(1)), (1, "nps", 20, "", at(5)))
    _, detail = scoring.score_frame(frame, CARD, accounts=[1], as_of=NOW)
    assert len(detail) == len(CARD.measures)
    row = detail.loc[(1, "tickets")]
    assert row["weight"] == 0 and row["contribution"] == 0 and np.isnan(row["points"])


def test_the_bulk_path_scores_as_the_detailed_one():
    frame = metrics((1, "usage", 80, "", at(1)), (2, "nps", 20, "", at(5)))
    bulk, none = scoring.score_frame(frame, CARD, accounts=[1, 2], as_of=NOW, detail=False)
    detailed, _ = scoring.score_frame(frame, CARD, accounts=[1, 2], as_of=NOW)
    assert none is None
    pd.testing.assert_frame_equal(bulk, detailed)


@pytest.mark.parametrize(
    ("rule", "params", "message"),
    [
        ("bands", {"bands": []}, "at least one band"),
        ("bands", {"bands": [{"from": 0, "to": None, "points": 100.5}]}, "between 0 and 100"),
        ("bands", {"bands": [{"from": 0, "to": None, "points": -1}]}, "between 0 and 100"),
        ("bands", {"bands": [{"from": 5, "to": 5, "points": 1}]}, "empty"),
        ("categorical", {"map": {"x": 100.5}}, "between 0 and 100"),
        ("recency", {"full_days": 30, "zero_days": 30}, "before zero points begin"),
        ("recency", {"full_days": -1, "zero_days": 30}, "0 days or more"),
        ("weekly", {}, "Unknown rule"),
    ],
)
def test_rule_parameters_at_their_bounds_are_refused(rule, params, message):
    assert message in scoring.rule_error(rule, params)


@pytest.mark.parametrize(
    ("rule", "params"),
    [
        ("bands", {"bands": [{"from": 0, "to": None, "points": 100}]}),
        ("bands", {"bands": [{"from": 0, "to": None, "points": 0}]}),
        ("categorical", {"map": {"x": 100, "y": 0}}),
        ("recency", {"full_days": 0, "zero_days": 0.5}),
    ],
)
def test_rule_parameters_on_their_bounds_are_fine(rule, params):
    assert scoring.rule_error(rule, params) is None


def test_weights_a_half_percent_off_are_refused():
    card = spec()
    card["groups"][0]["weight"] = 59.5
    assert "these total 99.5%" in scoring.card_errors(card)["groups"]
    card = spec()
    card["groups"][0]["measures"][0]["weight"] = 99.5
    assert "these total 99.5%" in scoring.card_errors(card)["a"]


@pytest.mark.parametrize(
    "lowers",
    [[], [10, 50], [0, 50, 50], [0, 50, 100.5], [0, 101, 102], [0, 90, 95, 101]],
)
def test_levels_must_start_at_0_increase_and_stay_within_100(lowers):
    levels = [{"name": f"L{n}", "lower": lower} for n, lower in enumerate(lowers)]
    assert "levels" in scoring.card_errors(spec(levels=levels))


def test_levels_may_reach_exactly_100():
    levels = [{"name": "Low", "lower": 0}, {"name": "Top", "lower": 100}]
    assert scoring.card_errors(spec(levels=levels)) == {}


def test_every_rule_problem_is_reported_at_its_place():
    bands = [
        {"from": None, "to": 10, "points": 120},
        {"from": 5, "to": 5, "points": 50},
        {"from": 20, "to": None, "points": 0},
    ]
    assert scoring.rule_errors("bands", {"bands": bands}) == [
        (("bands", 0, "points"), "Band points lie between 0 and 100."),
        (("bands", 1, "to"), "The band from 5 to 5 is empty."),
        (
            ("bands", 1, "from"),
            "Bands overlap: list them in order, each starting where the last ends.",
        ),
    ]
    assert scoring.rule_errors("categorical", {"map": {"a": 101, "b": 50, "c": -1}}) == [
        (("map", "a"), "Category points lie between 0 and 100."),
        (("map", "c"), "Category points lie between 0 and 100."),
    ]
