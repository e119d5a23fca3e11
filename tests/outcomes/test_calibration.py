"""Pillar weights fitted to outcomes: the planted pillar gets the weight, noise gets "keep"."""

import math
import random

import pytest

from maturity.models import Answer
from outcomes.models import Outcome

from .generated import HORIZON, tenant_generate

pytestmark = pytest.mark.django_db

PILLARS = {
    "charter": ["clarity_of_charter", "breadth_of_influence", "title_of_functional_head"],
    "people": ["team_sophistication", "team_size", "success_track_record"],
    "process": ["process_quality", "knowledge_management", "team_integration"],
    "technology": ["use_of_tools", "use_of_reports", "environment_complexity"],
}


def pillars_planted(org, framework, *, n, churn_of, seed=5):
    """Accounts whose pillars are scored independently at t0, and churn drawn by `churn_of`
    from them: the outcomes' kinds are rewritten from the pillar scores."""
    planted = tenant_generate(org, framework, n=n, signal=False, seed=seed)
    rng = random.Random(seed)
    churned = []
    for outcome in Outcome.objects.select_related("account").filter(pk__in=[p[0] for p in planted]):
        scores = {pillar: rng.randint(1, 5) for pillar in PILLARS}
        for pillar, factors in PILLARS.items():
            Answer.objects.filter(
                assessment__account=outcome.account, factor_key__in=factors
            ).update(score=scores[pillar])
        if rng.random() < churn_of(scores):
            churned.append(outcome.pk)
    Outcome.objects.update(kind="renewed", arr_after=1000)
    Outcome.objects.filter(pk__in=churned).update(kind="churned", arr_after=0)


def calibration(client):
    response = client.get(
        "/api/v1/insights/calibration/", {"target": "framework", "horizon_days": HORIZON}
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_when_only_process_predicts_churn_the_fit_weighs_process_and_beats_the_deck(
    org_a, chs_card, cmi_framework, in_tenant, key_for
):
    def churn_of(scores):
        return 1 / (1 + math.exp(-(-2.5 + 1.4 * (3 - scores["process"]))))

    with in_tenant(org_a):
        pillars_planted(org_a, cmi_framework, n=600, churn_of=churn_of)
    proposal = calibration(key_for(org_a))
    assert proposal["enough_data"] and proposal["outcomes"] == 600
    assert proposal["current"] == {
        "charter": 40.0,
        "people": 20.0,
        "process": 30.0,
        "technology": 10.0,
    }
    fitted = proposal["proposed"]
    assert sum(fitted.values()) == pytest.approx(100)
    assert all(weight >= 0 for weight in fitted.values())
    assert max(fitted, key=fitted.get) == "process" and fitted["process"] > 60
    assert proposal["auc_proposed"]["value"] > proposal["auc_current"]["value"]
    assert proposal["gain"]["low"] > 0 and proposal["verdict"] == "adopt"


def test_with_no_signal_the_calibration_says_keep_your_weights(
    org_a, chs_card, cmi_framework, in_tenant, key_for, mike, client_for
):
    with in_tenant(org_a):
        pillars_planted(org_a, cmi_framework, n=300, churn_of=lambda scores: 0.2, seed=9)
    proposal = calibration(key_for(org_a))
    assert proposal["enough_data"] and proposal["verdict"] == "keep"
    assert proposal["gain"]["low"] <= 0
    assert "keep your weights" in proposal["message"]
    page = client_for(mike).get("/outcomes/lab/").content.decode()
    assert "keep your weights" in page and 'id="calibration-weights"' in page


def test_below_the_minimum_sample_there_is_no_proposal(
    org_a, chs_card, cmi_framework, in_tenant, key_for
):
    with in_tenant(org_a):
        tenant_generate(org_a, cmi_framework, n=20, signal=True)
    proposal = calibration(key_for(org_a))
    assert not proposal["enough_data"] and proposal["proposed"] is None
    assert proposal["verdict"] == "keep"
