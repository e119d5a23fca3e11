"""The renewal forecast: Σ ARR × P(renew) from the model fitted on the outcomes, and the
same forecast's error when made before past outcomes, without hindsight."""

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from accounts.models import Account, LifecycleStage
from outcomes.asof import asof_frame
from outcomes.backtest import features, model_new, out_of_sample
from outcomes.reports import renewal_forecast

from .generated import HORIZON, tenant_generate

pytestmark = pytest.mark.django_db


def renewing(org_a, bob):
    """Ten live accounts renewing within 90 days and five within 180, with today's scores."""
    today = timezone.localdate()
    Account.objects.update(lifecycle_stage=LifecycleStage.ADOPTION)
    rows = list(Account.objects.order_by("pk")[:15])
    for i, account in enumerate(rows):
        account.renewal_date = today + timedelta(days=10 + i * 10)
        account.arr = Decimal(1000 + 100 * i)
        account.owner_csm = bob if i % 2 else None
        account.save()
    Account.objects.filter(pk__in=[a.pk for a in rows]).update(chs=40.0, cmi=2.0, segment="core")
    Account.objects.filter(pk=rows[0].pk).update(cmi=None)  # not forecast: no CMI
    return rows


def test_the_forecast_is_arr_times_the_fitted_probability_of_renewing(
    org_a, bob, chs_card, cmi_framework, in_tenant
):
    with in_tenant(org_a):
        tenant_generate(org_a, cmi_framework, n=300, signal=True)
        rows = renewing(org_a, bob)
        result = renewal_forecast(horizon_days=HORIZON)
        table = asof_frame(HORIZON)
    both = table[table["chs"].notna() & table["cmi"].notna()]
    model = model_new().fit(features(both), both["churned"].to_numpy(int))
    p_renew = 1 - model.predict_proba(np.array([[40.0, 2.0, 80.0]]))[0, 1]
    soon, later = result["periods"]
    due_soon = [a for a in rows[1:] if a.renewal_date <= timezone.localdate() + timedelta(90)]
    assert soon["accounts"] == len(due_soon) == 8
    assert soon["unscored"] == {"accounts": 1, "arr": 1000.0}
    assert soon["expected"] == pytest.approx(
        sum(float(a.arr) for a in due_soon) * p_renew, abs=0.02
    )
    assert later["accounts"] == 14
    assert [(c["key"], c["name"]) for c in later["cells"]] == [("core", "CORE")]
    assert {c["name"] for c in later["csms"]} == {str(bob), "No CSM"}
    assert sum(c["expected"] for c in later["csms"]) == pytest.approx(later["expected"], abs=0.05)
    # The error of the same forecast at past t0s, each from a model of earlier outcomes only.
    oos = out_of_sample(features(both), both["churned"].to_numpy(int))
    judged = ~np.isnan(oos)
    arr = both["arr_before"].to_numpy(float)[judged]
    error = result["backtest"]
    assert error["outcomes"] == judged.sum()
    assert error["forecast"] == pytest.approx(float((arr * (1 - oos[judged])).sum()), abs=0.05)
    renewed = 1 - both["churned"].to_numpy(int)[judged]
    assert error["actual"] == pytest.approx(float((arr * renewed).sum()))
    assert sum(q["outcomes"] for q in error["quarters"]) == error["outcomes"]


def test_below_the_minimum_sample_there_is_no_forecast(
    org_a, bob, mike, chs_card, cmi_framework, in_tenant, client_for
):
    with in_tenant(org_a):
        tenant_generate(org_a, cmi_framework, n=20, signal=True)
        renewing(org_a, bob)
        result = renewal_forecast(horizon_days=HORIZON)
    assert not result["enough_data"]
    assert all(p["expected"] is None and p["cells"] == [] for p in result["periods"])
    assert result["backtest"]["outcomes"] == 0


def test_the_score_lab_shows_the_forecast(
    org_a, bob, mike, chs_card, cmi_framework, in_tenant, client_for
):
    with in_tenant(org_a):
        tenant_generate(org_a, cmi_framework, n=200, signal=True)
        renewing(org_a, bob)
    page = client_for(mike).get("/outcomes/lab/").content.decode()
    assert 'id="forecast-90"' in page and "expected to renew" in page
    assert 'id="forecast-quarters"' in page
