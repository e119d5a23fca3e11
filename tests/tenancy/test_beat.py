"""Periodic jobs fan out to every organization, each run inside its own tenant."""

import pytest

from health.models import HealthSnapshot
from tenancy.tasks import for_each_organization

from ..conftest import wait_for


@pytest.mark.django_db(transaction=True)
def test_the_daily_snapshot_reaches_every_organization(
    worker, org_a, org_b, account_a, account_b, in_tenant
):
    from django.utils import timezone

    from accounts.models import Account
    from health.models import MetricValue
    from health.services import metrics_record, scorecard_create_from_template
    from recompute.models import RecomputeRequest

    scores = {}
    for organization, account in ((org_a, account_a), (org_b, account_b)):
        with in_tenant(organization):
            scorecard_create_from_template(organization=organization, template="chs")
            nps = MetricValue(account=account, metric="nps", number=40, observed_at=timezone.now())
            metrics_record(organization=organization, values=[nps], source="api")
    for organization, account in ((org_a, account_a), (org_b, account_b)):

        def scored(organization=organization, account=account):
            """the worker scored the organization's account"""
            with in_tenant(organization):
                done = not RecomputeRequest.objects.exists()
                return done and Account.objects.get(pk=account.pk).chs

        scores[organization.pk] = wait_for(scored)
        with in_tenant(organization):
            HealthSnapshot.objects.all().delete()  # as on a morning with no change yet
    assert for_each_organization.run("recompute.tasks.nightly") >= 2

    def snapshotted(organization):
        def check():
            """the worker snapshotted the organization's account"""
            with in_tenant(organization):
                return list(HealthSnapshot.objects.values_list("score", flat=True)) == [
                    scores[organization.pk]
                ]

        return check

    wait_for(snapshotted(org_a))
    wait_for(snapshotted(org_b))
