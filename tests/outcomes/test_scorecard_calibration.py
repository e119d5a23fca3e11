"""The scorecard's weights fitted to renewals: measure weights found where the churn signal
is, factored back into group and in-group weights, judged out of sample through production's
own combination of points into a CHS (health.scoring.combined)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import TimeSeriesSplit

from accounts.models import Account, LifecycleStage
from health.scoring import Card, MeasureSpec, combined
from outcomes.backtest import FOLDS
from outcomes.calibration import card_with, effective_weights, scorecard_calibration

from .generated import HORIZON, tenant_generate

CARD = Card(
    groups={"usage": 50.0, "support": 50.0},
    measures=[
        MeasureSpec("logins", "Logins", "usage", "logins", 50.0, "linear", {}),
        MeasureSpec("seats", "Seats", "usage", "seats", 50.0, "linear", {}),
        MeasureSpec("tickets", "Tickets", "support", "tickets", 100.0, "linear", {}),
    ],
    levels=[("Low", 0.0), ("High", 50.0)],
)


def table(n: int, *, signal: bool, seed: int = 7) -> pd.DataFrame:
    """Outcomes in time order with each measure's points at t0 (some missing); with a
    signal, churn comes from the tickets measure alone."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 100, size=(n, 3))
    points[rng.random((n, 3)) < 0.1] = np.nan
    tickets = np.nan_to_num(points[:, 2], nan=50.0)
    odds = np.exp(-1.0 - 0.06 * (tickets - 50)) if signal else np.full(n, 0.25)
    churned = (rng.random(n) < odds / (1 + odds)).astype(int)
    frame = pd.DataFrame(points, columns=[f"measure:{m.key}" for m in CARD.measures])
    frame["churned"] = churned
    return frame


def test_the_fit_finds_the_measure_that_predicts_churn_and_beats_todays_weights():
    data = table(900, signal=True)
    result = scorecard_calibration(data, CARD)
    assert result["current"] == {"logins": 25.0, "seats": 25.0, "tickets": 50.0}
    assert result["proposed"]["tickets"] > 80 > result["proposed"]["logins"]
    assert result["verdict"] == "adopt" and result["gain"]["low"] > 0
    groups, measures = result["proposed_card"]["groups"], result["proposed_card"]["measures"]
    assert sum(groups.values()) == pytest.approx(100) and groups["support"] > 80
    assert measures["logins"] + measures["seats"] == pytest.approx(100)
    assert measures["tickets"] == 100


def test_todays_auc_is_production_scoring_of_the_later_rows():
    data = table(900, signal=True)
    result = scorecard_calibration(data, CARD)
    points = data[[f"measure:{m.key}" for m in CARD.measures]].to_numpy(float)
    first_test = next(iter(TimeSeriesSplit(n_splits=FOLDS).split(points)))[1][0]
    score = combined(points[first_test:], CARD)[0]
    expected = roc_auc_score(data["churned"].to_numpy()[first_test:], -score)
    assert result["auc_current"]["value"] == pytest.approx(expected)
    assert result["auc_current"]["n"] == len(data) - first_test


def test_with_no_signal_it_says_keep_your_weights_all_but_by_chance():
    """A 95% interval above 0 by chance alone happens about once in 20 tenants with no
    signal: across 20 of them, adopting stays that rare."""
    results = [scorecard_calibration(table(600, signal=False, seed=s), CARD) for s in range(20)]
    adopted = [r for r in results if r["verdict"] == "adopt"]
    assert len(adopted) <= 3
    kept = next(r for r in results if r["verdict"] == "keep")
    assert kept["message"].endswith("keep your weights.")
    assert kept["gain"]["low"] <= 0 <= kept["gain"]["high"] or kept["proposed"] is None


def test_below_the_minimum_sample_there_is_no_fit():
    result = scorecard_calibration(table(20, signal=True), CARD)
    assert not result["enough_data"] and result["proposed"] is None
    assert result["message"] == "Not enough data to fit weights: keep your weights."


def test_effective_weights_factor_back_into_the_same_card():
    again = card_with(CARD, np.array(list(effective_weights(CARD).values())))
    assert dict(again.groups) == dict(CARD.groups)
    assert [m.weight for m in again.measures] == [m.weight for m in CARD.measures]


@pytest.mark.django_db
def test_the_api_and_the_score_lab_give_the_scorecards_proposal(
    org_a, chs_card, cmi_framework, in_tenant, key_for, mike, client_for
):
    with in_tenant(org_a):
        tenant_generate(org_a, cmi_framework, n=200, signal=True)
    response = key_for(org_a).get(
        "/api/v1/insights/calibration/", {"target": "scorecard", "horizon_days": HORIZON}
    )
    assert response.status_code == 200  # and its body matches the served schema
    body = response.json()
    assert body["target"] == "scorecard" and body["enough_data"]
    assert body["outcomes"] == 200 and sum(body["current"].values()) == pytest.approx(100, abs=1)
    assert sum(body["proposed"].values()) == pytest.approx(100, abs=1)
    # Each generated account has one measure's value, and a CHS of one measure is its points
    # whatever the weights: the fitted card moves no account.
    with in_tenant(org_a):
        active = Account.objects.exclude(lifecycle_stage=LifecycleStage.CHURNED).count()
    assert body["whatif"]["accounts"] == active > 0 and body["whatif"]["band_changes"] == 0
    page = client_for(mike).get("/outcomes/lab/", {"horizon_days": HORIZON})
    html = page.content.decode()
    assert 'id="scorecard-weights"' in html and "Product usage" in html
    assert page.context["card_calibration"]["verdict"] == body["verdict"]
    assert 'id="scorecard-weights-link"' in html
    candidate = client_for(mike).get("/outcomes/lab/scorecard/", {"horizon_days": HORIZON})
    fitted = {f"group-{key}": weight for key, weight in body["proposed_card"]["groups"].items()} | {
        f"measure-{key}": weight for key, weight in body["proposed_card"]["measures"].items()
    }
    form = candidate.context["form"]
    assert {name: float(form[name].value()) for name in fitted} == pytest.approx(fitted)
    assert candidate.context["moves"]["accounts"] == body["whatif"]["accounts"]
