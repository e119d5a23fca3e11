"""A submission enqueues the account's recompute after commit; a real worker carries it out."""

import pytest
import redis
from django.conf import settings
from django.db import transaction

from accounts.models import Account
from maturity.services import assessment_create

from ..conftest import DECK_ANSWERS, wait_for


def queued() -> int:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL).llen("celery")


def account_cmi(organization, account_id, in_tenant):
    with in_tenant(organization):
        return Account.objects.get(pk=account_id).cmi


@pytest.mark.django_db(transaction=True)
def test_the_recompute_is_enqueued_only_after_commit_and_a_worker_applies_it(
    worker, org_a, bob, account_a, cmi_framework, in_tenant
):
    with transaction.atomic():
        with in_tenant(org_a):
            assessment = assessment_create(
                account=account_a, framework=cmi_framework, answers=DECK_ANSWERS, by=bob
            )
        assert queued() == 0, "enqueued before the transaction committed"
        assert account_cmi(org_a, account_a.pk, in_tenant) is None

    def recomputed():
        """the worker wrote the account's CMI"""
        return account_cmi(org_a, account_a.pk, in_tenant)

    assert wait_for(recomputed) == pytest.approx(assessment.cmi)
    with in_tenant(org_a):
        assert Account.objects.get(pk=account_a.pk).cmi_tier == "Low"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_submission_enqueues_nothing(
    worker, org_a, bob, account_a, cmi_framework, in_tenant
):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        with in_tenant(org_a):
            assessment_create(
                account=account_a, framework=cmi_framework, answers=DECK_ANSWERS, by=bob
            )
        raise Abort
    assert queued() == 0


@pytest.mark.django_db
def test_the_task_refuses_to_run_without_an_organization(account_a):
    from recompute.tasks import drain
    from tenancy.tasks import TenantRequired

    with pytest.raises(TenantRequired):
        drain.run(None)


@pytest.mark.django_db
def test_a_recompute_that_changes_nothing_writes_nothing(
    org_a, bob, account_a, cmi_framework, in_tenant
):
    from recompute.pipeline import accounts_recompute

    with in_tenant(org_a):
        assessment_create(account=account_a, framework=cmi_framework, answers=DECK_ANSWERS, by=bob)
        assert accounts_recompute().changed["cmi"] == 1
        stamp = Account.objects.get(pk=account_a.pk).cmi_updated_at
        assert accounts_recompute().changed["cmi"] == 0
        assert Account.objects.get(pk=account_a.pk).cmi_updated_at == stamp


@pytest.mark.django_db
def test_a_framework_recompute_reports_progress_and_rescores_every_account(
    org_a, bob, cmi_framework, in_tenant, django_capture_on_commit_callbacks
):

    from recompute.services import recompute_progress
    from tests.recomputing import recompute_run

    from ..factories import AccountFactory

    with in_tenant(org_a):
        accounts = [AccountFactory(organization=org_a) for _ in range(3)]
        for account in accounts:
            assessment_create(
                account=account, framework=cmi_framework, answers=DECK_ANSWERS, by=bob
            )
    with django_capture_on_commit_callbacks(execute=True):
        recompute_run(str(org_a.id), None, ["framework", cmi_framework.pk])
    with in_tenant(org_a):
        assert recompute_progress(org_a.id) == {"done": 100, "total": 100, "finished": True}
        assert {round(a.cmi, 1) for a in Account.objects.all()} == {2.4}
