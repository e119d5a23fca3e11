"""Pillar weights fitted to outcomes: the planted pillar gets the weight, noise gets "keep"."""

import math
import random
from collections import Counter

import pytest
from django.utils import timezone

from accounts.models import Account, LifecycleStage
from health.models import MetricValue
from maturity.models import Answer, Framework
from outcomes.models import Outcome
from recompute.pipeline import accounts_recompute

from .generated import HORIZON, tenant_generate, usage_for

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


def process_matters(scores):
    return 1 / (1 + math.exp(-(-2.5 + 1.4 * (3 - scores["process"]))))


def test_the_what_if_is_what_using_the_weights_then_does(
    org_a, chs_card, cmi_framework, in_tenant, key_for, mike, client_for
):
    with in_tenant(org_a):
        pillars_planted(org_a, cmi_framework, n=300, churn_of=process_matters)
        Account.objects.update(lifecycle_stage=LifecycleStage.ADOPTION)
        MetricValue.objects.bulk_create(  # today's health, spread over the three levels
            MetricValue(
                organization=org_a,
                account=account,
                metric="active_users_pct",
                number=usage_for(account.pk * 37 % 100),
                observed_at=timezone.now(),
                source="api",
            )
            for account in Account.objects.all()
        )
        accounts_recompute()
        before = dict(Account.objects.values_list("pk", "segment"))
    proposal = calibration(key_for(org_a))
    whatif = proposal["whatif"]
    assert whatif["accounts"] == 300 and whatif["cell_changes"] > 0
    assert sum(m["accounts"] for m in whatif["matrix"]) == 300
    page = client_for(mike).get("/outcomes/lab/weights/", {"horizon_days": HORIZON})
    assert page.context["moves"]["cell_changes"] == whatif["cell_changes"]
    response = client_for(mike).post(
        f"/outcomes/lab/weights/?horizon_days={HORIZON}",
        {key: str(weight) for key, weight in proposal["proposed"].items()},
    )
    assert response.status_code == 302, response.context["form"].errors
    with in_tenant(org_a):
        framework = Framework.objects.get(pk=cmi_framework.pk)
        assert framework.current.number == 2  # submitted assessments keep version 1's scores
        weights = dict(framework.current.pillars.values_list("key", "weight"))
        assert {k: float(v) for k, v in weights.items()} == proposal["proposed"]
        accounts_recompute()
        after = dict(Account.objects.values_list("pk", "segment"))
    moved = Counter((before[pk], after[pk]) for pk in before)
    assert moved == Counter(
        {(m["from_cell"], m["to_cell"]): m["accounts"] for m in whatif["matrix"]}
    )


def test_weights_that_do_not_total_100_are_refused_with_the_typed_values_kept(
    org_a, chs_card, cmi_framework, in_tenant, mike, bob, client_for
):
    with in_tenant(org_a):
        pillars_planted(org_a, cmi_framework, n=120, churn_of=process_matters)
    typed = {"charter": "50", "people": "20", "process": "30", "technology": "10"}
    response = client_for(mike).post("/outcomes/lab/weights/", typed)
    assert response.status_code == 200
    assert "must total 100%; these total 110%" in response.content.decode()
    assert response.context["form"]["charter"].value() == "50"
    preview = client_for(bob).get("/outcomes/lab/weights/", typed | {"charter": "40"})
    assert preview.status_code == 200 and preview.context["moves"]["cell_changes"] == 0
    assert client_for(bob).post("/outcomes/lab/weights/", typed).status_code == 403
    with in_tenant(org_a):
        assert Framework.objects.get(pk=cmi_framework.pk).current.number == 1
