"""The backtest on generated tenants: its figures are scikit-learn's over the as-of scores,
it finds a planted signal and no phantom one, and nothing after t0 reaches it."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from health.models import MetricValue
from maturity.services import assessment_create
from outcomes.asof import asof_frame
from outcomes.models import BacktestReport, Outcome

from ..conftest import uniform
from .generated import HORIZON, tenant_generate

pytestmark = pytest.mark.django_db


def backtest(client, **params):
    response = client.get("/api/v1/insights/backtest/", {"horizon_days": HORIZON, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_as_of_scores_are_the_planted_ones(org_a, chs_card, cmi_framework, in_tenant):
    with in_tenant(org_a):
        planted = tenant_generate(org_a, cmi_framework, n=60, signal=True)
        table = asof_frame(HORIZON).set_index("outcome")
    for outcome, chs, cmi, churned in planted:
        assert table.at[outcome, "chs"] == pytest.approx(chs)
        assert table.at[outcome, "cmi"] == pytest.approx(cmi)
        assert table.at[outcome, "churned"] == int(churned)


def test_a_planted_signal_is_reported_as_scikit_learn_computes_it(
    org_a, chs_card, cmi_framework, in_tenant, key_for
):
    with in_tenant(org_a):
        planted = tenant_generate(org_a, cmi_framework, n=500, signal=True)
        occurred = dict(Outcome.objects.values_list("pk", "occurred_on"))
    report = backtest(key_for(org_a))
    y = np.array([c for _, _, _, c in planted], dtype=int)
    chs = np.array([s for _, s, _, _ in planted])
    cmi = np.array([m for _, _, m, _ in planted], dtype=float)
    assert report["enough_data"] and report["outcomes"] == 500 and report["churned"] == y.sum()
    assert report["auc"]["chs"]["value"] == pytest.approx(roc_auc_score(y, -chs))
    assert report["auc"]["cmi"]["value"] == pytest.approx(roc_auc_score(y, -cmi))
    assert report["auc"]["chs"]["n"] == 500
    auc = report["auc"]["chs"]
    assert auc["low"] < auc["value"] < auc["high"] and auc["low"] > 0.5

    # CHS + CMI: a logistic model fitted on earlier outcomes, judged on later ones.
    order = sorted(range(len(planted)), key=lambda i: (occurred[planted[i][0]], planted[i][0]))
    x = np.column_stack([chs, cmi, chs * cmi])[order]
    ys = y[order]
    predicted = np.full(len(ys), np.nan)
    for train, test in TimeSeriesSplit(n_splits=5).split(x):
        if min(ys[train].sum(), len(train) - ys[train].sum()) < 5:
            continue
        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
        predicted[test] = model.fit(x[train], ys[train]).predict_proba(x[test])[:, 1]
    judged = ~np.isnan(predicted)
    both = report["auc"]["chs_cmi"]
    assert both["n"] == judged.sum()
    assert both["value"] == pytest.approx(roc_auc_score(ys[judged], predicted[judged]))
    alone = report["auc"]["chs_same_rows"]
    assert alone["value"] == pytest.approx(roc_auc_score(ys[judged], -x[judged, 0]))
    assert both["value"] > alone["value"]  # maturity adds what health alone misses

    churn_rates = {c["cell"]: c for c in report["cells"]}
    assert churn_rates["churn"]["churn_rate"] > churn_rates["expand_and_leverage"]["churn_rate"]
    cell = churn_rates["churn"]
    assert cell["low"] <= cell["churn_rate"] <= cell["high"]
    assert sum(c["outcomes"] for c in report["cells"]) == 500
    assert [d["decile"] for d in report["lift"]] == list(range(1, 11))
    assert report["lift"][0]["lift"] > 1 > report["lift"][-1]["lift"]
    assert sum(b["n"] for b in report["calibration"]) == both["n"]
    at_k = report["precision_at_k"]
    lowest = np.argsort(chs, kind="stable")[: at_k["k"]]
    assert at_k["caught"] == y[lowest].sum()


def test_with_no_signal_every_interval_covers_one_half(
    org_a, chs_card, cmi_framework, in_tenant, key_for
):
    with in_tenant(org_a):
        tenant_generate(org_a, cmi_framework, n=300, signal=False, seed=8)
    auc = backtest(key_for(org_a))["auc"]
    for name in ("chs", "cmi", "chs_cmi"):
        assert auc[name]["low"] < 0.5 < auc[name]["high"], (name, auc[name])


def test_nothing_observed_after_t0_changes_the_figures(
    org_a, chs_card, cmi_framework, in_tenant, key_for
):
    with in_tenant(org_a):
        planted = tenant_generate(org_a, cmi_framework, n=80, signal=True)
    client = key_for(org_a)
    before = backtest(client)
    with in_tenant(org_a):
        outcomes = Outcome.objects.select_related("account").in_bulk([p[0] for p in planted])
        for outcome in outcomes.values():
            # The day after t0, and the day before the outcome: both after t0.
            for days in (HORIZON - 1, 1):
                moment = timezone.make_aware(
                    timezone.datetime.combine(
                        outcome.occurred_on - timedelta(days=days), timezone.datetime.min.time()
                    )
                )
                MetricValue.objects.create(
                    organization=org_a,
                    account=outcome.account,
                    metric="active_users_pct",
                    number=100 if outcome.kind == "churned" else 0,  # the answer, leaked
                    observed_at=moment,
                    source="api",
                )
                if moment <= timezone.now():
                    assessment_create(
                        account=outcome.account,
                        framework=cmi_framework,
                        answers=uniform(5 if outcome.kind == "churned" else 1),
                        by=None,
                        submitted_at=moment,
                    )
    after = backtest(client)
    with in_tenant(org_a):
        assert BacktestReport.objects.count() == 1  # recomputed: the inputs changed
    before.pop("computed_at"), after.pop("computed_at")
    assert after == before


def test_below_the_minimum_sample_there_are_counts_and_no_figures(
    org_a, chs_card, cmi_framework, in_tenant, key_for, mike, client_for
):
    with in_tenant(org_a):
        tenant_generate(org_a, cmi_framework, n=29, signal=True)
    report = backtest(key_for(org_a))
    assert report["outcomes"] == 29 and not report["enough_data"]
    assert report["auc"]["chs"] == {"value": None, "low": None, "high": None, "n": 29}
    assert report["cells"] == [] and report["lift"] == [] and report["calibration"] == []
    page = client_for(mike).get("/outcomes/lab/").content.decode()
    assert "Not enough data: 29 renewal outcomes" in page
    assert 'id="roc-chart"' not in page


def test_a_tenant_with_few_churns_has_no_figures_either(
    org_a, chs_card, cmi_framework, in_tenant, key_for
):
    with in_tenant(org_a):
        tenant_generate(org_a, cmi_framework, n=40, signal=True)
        Outcome.objects.filter(kind="churned").update(kind="renewed", arr_after=1000)
        churned = list(Outcome.objects.values_list("pk", flat=True)[:4])
        Outcome.objects.filter(pk__in=churned).update(kind="churned", arr_after=0)
    report = backtest(key_for(org_a))
    assert (report["outcomes"], report["churned"], report["enough_data"]) == (40, 4, False)


def test_accounts_without_a_score_at_t0_are_left_out_and_counted(
    org_a, chs_card, cmi_framework, in_tenant, key_for
):
    with in_tenant(org_a):
        planted = tenant_generate(org_a, cmi_framework, n=60, signal=True)
        unassessed, unmeasured = (Outcome.objects.get(pk=p[0]).account for p in planted[:2])
        unassessed.assessments.all().delete()
        MetricValue.objects.filter(account=unmeasured).delete()
    report = backtest(key_for(org_a))
    assert report["excluded"] == {"no_chs": 1, "no_cmi": 1}
    assert report["auc"]["chs"]["n"] == 59 and report["auc"]["cmi"]["n"] == 59


def test_reports_and_outcomes_stay_in_their_organization(
    org_a, org_b, chs_card, cmi_framework, in_tenant, key_for, carol, client_for
):
    with in_tenant(org_a):
        tenant_generate(org_a, cmi_framework, n=40, signal=True)
    assert backtest(key_for(org_a))["outcomes"] == 40
    other = key_for(org_b)
    assert backtest(other)["outcomes"] == 0
    assert other.get("/api/v1/outcomes/").json()["results"] == []
    with in_tenant(org_b):
        assert BacktestReport.objects.count() == 1 and Outcome.objects.count() == 0
    page = client_for(carol).get("/outcomes/lab/").content.decode()
    assert "Not enough data: 0 renewal outcomes" in page
    export = client_for(carol).get("/outcomes/lab/export.csv").content.decode()
    assert export.strip().count("\n") == 0  # the header only


def test_a_large_tenants_report_is_computed_by_the_worker_while_the_api_answers_202(
    worker, org_a, chs_card, cmi_framework, in_tenant, key_for, monkeypatch
):
    from outcomes import reports

    from ..conftest import wait_for

    with in_tenant(org_a):
        tenant_generate(org_a, cmi_framework, n=40, signal=True)
    monkeypatch.setattr(reports, "IN_REQUEST_OUTCOMES", 10)
    client = key_for(org_a)
    first = client.get("/api/v1/insights/backtest/", {"horizon_days": HORIZON})
    assert first.status_code == 202 and int(first["Retry-After"]) > 0
    assert first.json()["status"] == "running"

    def ready():
        """the worker stored the report"""
        response = client.get("/api/v1/insights/backtest/", {"horizon_days": HORIZON})
        return response if response.status_code == 200 else None

    assert wait_for(ready, timeout=60).json()["outcomes"] == 40


def test_bad_query_parameters_are_400_with_the_parameter_named(key_for, org_a):
    from ..problems import errors

    response = key_for(org_a).get(
        "/api/v1/insights/backtest/", {"horizon_days": 0, "since": "2026-05-01", "until": "x"}
    )
    assert response.status_code == 400
    assert set(errors(response)) >= {"horizon_days", "until"}


def test_every_member_reads_the_score_lab_and_the_csv(bob, vera, client_for, org_a):
    from rest_framework.test import APIClient

    for user in (bob, vera):
        assert client_for(user).get("/outcomes/lab/").status_code == 200
        assert client_for(user).get("/outcomes/lab/export.csv").status_code == 200
        api = APIClient()
        api.force_login(user)
        assert api.get("/api/v1/insights/backtest/").status_code == 200


def test_the_bootstrap_auc_equals_sklearns_on_every_draw_ties_included():
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from outcomes.backtest import rank_auc

    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, size=(50, 40))
    risk = rng.integers(0, 6, size=(50, 40)).astype(float)  # many ties
    ours = rank_auc(y, risk)
    for row in range(50):
        if y[row].min() == y[row].max():
            assert np.isnan(ours[row])
        else:
            assert ours[row] == pytest.approx(roc_auc_score(y[row], risk[row]))
