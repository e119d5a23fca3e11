"""Per-segment metrics: real figures where there is data, "not enough data" where there is not."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Account
from recompute.pipeline import accounts_recompute

from ..conftest import uniform
from ..factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_metrics_need_five_accounts_and_say_so(org_a, placed, in_tenant, mike, client_for):
    from django.utils import timezone

    from health.models import MetricValue

    accounts = [AccountFactory(organization=org_a, arr=100 * (i + 1)) for i in range(6)]
    for account in accounts:
        placed(account, nps=50, answers=uniform(5))
    lone = AccountFactory(organization=org_a)
    placed(lone, nps=-50, answers=uniform(5))
    with in_tenant(org_a):
        Account.objects.filter(pk=accounts[0].pk).update(lifecycle_stage="churned")
        for index, account in enumerate(accounts[:5]):
            MetricValue.objects.create(
                organization=org_a,
                account=account,
                metric="arr_growth_pct",
                number=10 if index < 3 else -1,
                observed_at=timezone.now(),
                source="api",
            )
        for account, older in ((accounts[0], -5), (accounts[3], 20)):  # superseded: ignored
            MetricValue.objects.create(
                organization=org_a,
                account=account,
                metric="arr_growth_pct",
                number=older,
                observed_at=timezone.now() - timedelta(days=30),
                source="api",
            )
        accounts_recompute()
    response = client_for(mike).get(reverse("segments:metrics"))
    rows = {cell.key: figures for cell, figures in response.context["metrics"]}
    expand = rows["expand_and_leverage"]
    assert expand["accounts"] == 6
    assert expand["retention"] == pytest.approx(5 / 6)
    assert expand["average_arr"] == pytest.approx(350)
    assert expand["upsell"] == pytest.approx(3 / 5)
    assert rows["save"]["retention"] is None and rows["save"]["average_arr"] is None
    assert "not enough data" in response.content.decode()
