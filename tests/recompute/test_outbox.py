"""The recompute outbox: written with the submission, drained once for many, never lost."""

import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import transaction

from accounts.models import Account
from core.derivation import Cause
from maturity.models import Assessment
from maturity.services import assessment_create
from recompute.models import RecomputeRequest
from recompute.services import nudge_key as _nudge_key
from recompute.tasks import _drained, drain

from ..conftest import uniform, wait_for
from ..recomputing import worker_log_caught_up

WORKER_LOG = Path(__file__).resolve().parents[1] / ".worker.log"


def pending(org, in_tenant):
    with in_tenant(org):
        return list(RecomputeRequest.objects.values_list("account_ids", "cause"))


@pytest.mark.django_db
def test_a_submission_writes_its_request_in_its_own_transaction(
    org_a, account_a, cmi_framework, bob, in_tenant
):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic(), in_tenant(org_a):
        assessment_create(account=account_a, framework=cmi_framework, answers=uniform(2), by=bob)
        raise Abort
    assert pending(org_a, in_tenant) == []
    with in_tenant(org_a):
        assessment_create(account=account_a, framework=cmi_framework, answers=uniform(2), by=bob)
    assert pending(org_a, in_tenant) == [([account_a.pk], "assessment")]


@pytest.mark.django_db
def test_one_drain_recomputes_many_requests_once_and_a_redelivery_finds_nothing(
    org_a, account_a, cmi_framework, chs_card, bob, in_tenant
):
    drain.run(str(org_a.id))  # the scorecard's own recompute, from the fixture
    with in_tenant(org_a):
        for score in (1, 2, 3, 4, 5, 2, 4):
            last = assessment_create(
                account=account_a, framework=cmi_framework, answers=uniform(score), by=bob
            )
    assert drain.run(str(org_a.id)) == 7
    assert drain.run(str(org_a.id)) == 0  # redelivered: nothing left to do
    assert pending(org_a, in_tenant) == []
    with in_tenant(org_a):
        assert Account.objects.get(pk=account_a.pk).cmi == pytest.approx(last.cmi)


@pytest.mark.django_db
def test_a_tenant_wide_request_covers_the_account_requests_beside_it(
    org_a, account_a, cmi_framework, chs_card, bob, in_tenant
):
    from recompute.services import recompute_enqueue

    drain.run(str(org_a.id))  # the scorecard's own recompute, from the fixture
    with in_tenant(org_a):
        other = Account.objects.create(organization=org_a, name="Other")
        assessment_create(account=account_a, framework=cmi_framework, answers=uniform(4), by=bob)
        assessment_create(account=other, framework=cmi_framework, answers=uniform(2), by=bob)
        recompute_enqueue(organization=org_a, account_ids=None, cause=Cause.of("framework", 1))
    assert drain.run(str(org_a.id)) == 3
    with in_tenant(org_a):
        assert dict(Account.objects.values_list("name", "cmi_tier")) == {
            "Acme (A)": "High",
            "Other": "Low",
        }


def settled(org, in_tenant) -> None:
    """Wait until the fixtures' requests are drained and that drain has let go of the
    tenant's nudge flag (it does so after its commit: recompute.tasks._drained)."""

    def let_go():
        """the outbox is empty, no drain holds the flag, and the worker has logged every
        drain it took (it commits, then logs)"""
        return (
            not pending(org, in_tenant)
            and cache.get(_nudge_key(str(org.id))) is None
            and worker_log_caught_up("recompute.tasks.drain")
        )

    wait_for(let_go, timeout=30)


def drains_since(offset: int) -> list[int]:
    """Rows taken by each drain the shared worker finished after `offset` in its log."""
    text = WORKER_LOG.read_text()[offset:]
    return [
        int(n)
        for n in re.findall(r"recompute\.tasks\.drain\[[^\]]+\] succeeded in [\d.]+s: (\d+)", text)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_storm_of_500_submissions_ends_right_with_far_fewer_recomputes(
    worker, org_a, account_a, cmi_framework, chs_card, bob, in_tenant
):
    settled(org_a, in_tenant)
    offset = len(WORKER_LOG.read_text())
    scores = [1 + (n * 7) % 5 for n in range(500)]
    for score in scores:  # each in its own transaction, as 500 requests would be
        with in_tenant(org_a):
            last = assessment_create(
                account=account_a, framework=cmi_framework, answers=uniform(score), by=bob
            )

    def drained():
        """the outbox is empty and the worker has settled"""
        return not pending(org_a, in_tenant) and sum(drains_since(offset)) == 500

    wait_for(drained, timeout=60)
    taken = [n for n in drains_since(offset) if n]
    with in_tenant(org_a):
        account = Account.objects.get(pk=account_a.pk)
    assert account.cmi == pytest.approx(last.cmi) == scores[-1]
    assert sum(taken) == 500
    assert len(taken) < 100, f"{len(taken)} recomputes for 500 submissions"


@pytest.mark.django_db(transaction=True)
def test_what_comes_in_while_a_drain_holds_the_flag_is_drained_together_when_it_lets_go(
    worker, org_a, account_a, cmi_framework, chs_card, bob, in_tenant
):
    """A tenant has one nudged drain at a time: submissions during it do not start drains of
    their own; the drain, once committed, lets go of the flag and nudges one for them all."""
    settled(org_a, in_tenant)
    organization_id = str(org_a.id)
    cache.set(_nudge_key(organization_id), 1, 60)  # as a drain under way holds it
    with in_tenant(org_a):
        other = Account.objects.create(organization=org_a, name="Other")
    for account, score in [(account_a, 4), (other, 2)]:
        with in_tenant(org_a):
            assessment_create(
                account=account, framework=cmi_framework, answers=uniform(score), by=bob
            )
    # Each nudge ran at its commit, found the flag held and sent nothing: both still wait.
    assert len(pending(org_a, in_tenant)) == 2
    offset = len(WORKER_LOG.read_text())
    _drained(organization_id)  # the drain under way commits and lets go
    wait_for(lambda: not pending(org_a, in_tenant) and drains_since(offset), timeout=30)
    assert drains_since(offset) == [2]  # one drain took both
    assert cache.get(_nudge_key(organization_id)) is None  # and let go in turn
    with in_tenant(org_a):
        assert dict(Account.objects.values_list("name", "cmi_tier")) == {
            "Acme (A)": "High",
            "Other": "Low",
        }


@pytest.mark.django_db(transaction=True)
def test_a_drain_lets_go_of_the_flag_when_it_commits_and_when_it_fails(
    worker, org_a, account_a, cmi_framework, chs_card, bob, in_tenant, monkeypatch
):
    settled(org_a, in_tenant)
    organization_id = str(org_a.id)
    cache.set(_nudge_key(organization_id), 1, 60)  # held: no worker drains behind our back
    with in_tenant(org_a):
        assessment_create(account=account_a, framework=cmi_framework, answers=uniform(3), by=bob)

    def broken(*args, **kwargs):
        raise RuntimeError("the recompute failed")

    monkeypatch.setattr("recompute.tasks.run_request", broken)
    with pytest.raises(RuntimeError):
        drain.run(organization_id)
    assert cache.get(_nudge_key(organization_id)) is None  # a later submission nudges again
    assert pending(org_a, in_tenant)  # rolled back: the requests wait for the next drain

    monkeypatch.undo()
    cache.set(_nudge_key(organization_id), 1, 60)
    assert drain.run(organization_id) >= 1
    assert cache.get(_nudge_key(organization_id)) is None
    assert not pending(org_a, in_tenant)


@pytest.mark.django_db
def test_a_drain_redoes_only_what_its_requests_causes_can_have_changed(
    org_a, account_a, cmi_framework, chs_card, bob, in_tenant
):
    """A submission's recompute redoes the CMI (and the cell), a metric's the CHS: inputs
    changed behind the services' back, with no request of their own, show which ran."""
    from django.utils import timezone

    from health.models import MetricValue
    from health.services import metrics_record
    from recompute.services import recompute_enqueue

    organization_id = str(org_a.id)
    drain.run(organization_id)  # the scorecard's own recompute, from the fixture

    def stored():
        return Account.objects.values_list("cmi", "chs").get(pk=account_a.pk)

    with in_tenant(org_a):
        assert stored() == (None, None)
        MetricValue.objects.create(  # no request: nothing says the CHS changed
            organization=org_a,
            account=account_a,
            metric="nps",
            number=90,
            observed_at=timezone.now(),
        )
        assessment_create(account=account_a, framework=cmi_framework, answers=uniform(4), by=bob)
    drain.run(organization_id)
    with in_tenant(org_a):
        assert stored() == (4.0, None)  # the CMI alone was redone

        latest = Assessment.objects.filter(account=account_a).latest("submitted_at")
        latest.answers.update(score=2)  # behind the services' back: no request
        metrics_record(
            organization=org_a,
            values=[
                MetricValue(account=account_a, metric="nps", number=10, observed_at=timezone.now())
            ],
            source="api",
        )
    drain.run(organization_id)
    with in_tenant(org_a):
        cmi, chs = stored()
        assert cmi == 4.0 and chs is not None  # the CHS alone was redone
        recompute_enqueue(organization=org_a, account_ids=[account_a.pk], cause=Cause.of("", None))
    drain.run(organization_id)
    with in_tenant(org_a):
        assert stored() == (2.0, chs)  # a request of no known cause redoes both
