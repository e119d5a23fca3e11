"""Periodic jobs fan out to every organization, each run inside its own tenant."""

import pytest

from health.models import HealthSnapshot
from tenancy.tasks import for_each_organization

from ..conftest import wait_for


@pytest.mark.django_db(transaction=True)
def test_the_daily_snapshot_reaches_every_organization(
    worker, org_a, org_b, account_a, account_b, in_tenant
):
    from accounts.models import Account

    for organization, account in ((org_a, account_a), (org_b, account_b)):
        with in_tenant(organization):
            Account.objects.filter(pk=account.pk).update(chs=55.0, chs_level="Medium")
    assert for_each_organization.run("health.tasks.daily_snapshots") >= 2

    def snapshotted(organization):
        def check():
            """the worker snapshotted the organization's account"""
            with in_tenant(organization):
                return HealthSnapshot.objects.filter(score=55.0).count() == 1

        return check

    wait_for(snapshotted(org_a))
    wait_for(snapshotted(org_b))
