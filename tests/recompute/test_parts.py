"""A tenant-wide recompute in parts: one outbox row and one task per range of accounts, taken
by every worker process, each part done once however often it is delivered, and published
again by the sweep when its task is lost."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Account
from core.derivation import Cause, CauseKind
from recompute.accounts import account_ranges
from recompute.models import RecomputePart, RecomputePartProvider, RecomputeRequest
from recompute.services import progress_set as _progress_set
from recompute.services import recompute_progress
from recompute.tasks import drain, recompute_part, sweep
from segments.models import TierMigration
from tests.recomputing import recompute_run, worker_log_caught_up

from ..conftest import uniform, wait_for

WORKER_LOG = Path(__file__).resolve().parents[1] / ".worker.log"


def parts(org, in_tenant) -> list[tuple[int, int]]:
    with in_tenant(org):
        return list(RecomputePart.objects.order_by("first_id").values_list("first_id", "last_id"))


def seven_placed(org, placed, in_tenant, *, worker=False) -> list[int]:
    """Seven accounts with metrics and an assessment, their derived state then cleared, as
    after a deploy that must recompute them all. With a worker, once it has drained what the
    submissions asked for."""
    from ..factories import AccountFactory

    accounts = [AccountFactory(organization=org, name=f"Part {n}") for n in range(7)]
    for n, account in enumerate(accounts):
        placed(account, nps=50 if n % 2 else -50, answers=uniform(1 + n % 5))
    if worker:

        def drained():
            """the worker has drained the submissions' requests"""
            with in_tenant(org):
                return not RecomputeRequest.objects.exists()

        wait_for(drained, timeout=30)
    with in_tenant(org):
        RecomputeRequest.objects.all().delete()
        RecomputePart.objects.all().delete()
        TierMigration.objects.all().delete()
        Account.objects.update(cmi=None, cmi_tier="", chs=None, chs_level="", segment="")
    return [account.pk for account in accounts]


def migrations_per_account(org, in_tenant) -> dict[int, list[tuple]]:
    with in_tenant(org):
        rows = TierMigration.objects.order_by("id").values_list("account_id", "to_segment", "cause")
        found = {}
        for account, to, cause in rows:
            found.setdefault(account, []).append((to, cause))
        return found


@pytest.mark.django_db
def test_the_ranges_cover_every_account_once_in_order(org_a, in_tenant):
    from ..factories import AccountFactory

    ids = sorted(AccountFactory(organization=org_a).pk for _ in range(7))
    with in_tenant(org_a):
        ranges = account_ranges(3)
    assert ranges == [(ids[0], ids[2]), (ids[3], ids[5]), (ids[6], ids[6])]


@pytest.mark.django_db
def test_a_part_is_done_once_however_often_it_is_delivered(
    org_a, placed, in_tenant, settings, django_capture_on_commit_callbacks
):
    settings.RECOMPUTE_PART_ACCOUNTS = 3
    ids = seven_placed(org_a, placed, in_tenant)
    with django_capture_on_commit_callbacks(execute=False) as published:
        assert recompute_run(str(org_a.id), None, ["framework", 9]) == 0  # nothing done here
    assert len(published) == 1  # progress and the parts' tasks, once the rows are committed
    assert parts(org_a, in_tenant) == [(ids[0], ids[2]), (ids[3], ids[5]), (ids[6], ids[6])]
    with in_tenant(org_a):
        _progress_set(org_a.id, 3)  # what the commit's callback does first
        assert recompute_progress(org_a.id) == {"done": 0, "total": 100, "finished": False}
        pks = list(RecomputePart.objects.order_by("first_id").values_list("pk", flat=True))
    moved = [recompute_part.run(str(org_a.id), pk) for pk in [pks[1], pks[1], *pks]]
    assert moved == [3, 0, 3, 0, 1]  # the second delivery of a part finds nothing to do
    assert parts(org_a, in_tenant) == []
    with in_tenant(org_a):
        assert recompute_progress(org_a.id) == {"done": 100, "total": 100, "finished": True}
        assert not Account.objects.filter(segment="").exists()
    found = migrations_per_account(org_a, in_tenant)
    assert sorted(found) == ids
    assert all(len(moves) == 1 and moves[0][1] == "framework" for moves in found.values())


@pytest.mark.django_db
def test_a_part_keeps_what_its_request_asked_to_redo(org_a, placed, in_tenant, settings):
    """A scorecard change redoes the CHS alone: a part of it leaves a stored CMI as it is."""
    from recompute.services import recompute_enqueue

    settings.RECOMPUTE_PART_ACCOUNTS = 3
    seven_placed(org_a, placed, in_tenant)
    with in_tenant(org_a):
        Account.objects.update(cmi=4.5, cmi_tier="High")
        recompute_enqueue(organization=org_a, account_ids=None, cause=Cause(CauseKind.SCORECARD, 1))
    assert drain.run(str(org_a.id)) == 1  # the request, turned into parts
    with in_tenant(org_a):
        providers = RecomputePartProvider.objects.values_list("provider", flat=True)
        assert set(providers) == {"chs", "cell"}
        pks = list(RecomputePart.objects.values_list("pk", flat=True))
    for pk in pks:
        recompute_part.run(str(org_a.id), pk)
    with in_tenant(org_a):
        assert set(Account.objects.values_list("cmi", "cmi_tier")) == {(4.5, "High")}
        assert not Account.objects.filter(chs__isnull=True).exists()


def parts_done_since(offset: int) -> list[int]:
    text = WORKER_LOG.read_text()[offset:]
    pattern = r"recompute\.tasks\.recompute_part\[[^\]]+\] succeeded in [\d.]+s: (\d+)"
    return [int(n) for n in re.findall(pattern, text)]


@pytest.mark.django_db(transaction=True)
def test_the_worker_takes_the_parts_and_progress_follows_them(
    worker, org_a, placed, in_tenant, settings
):
    settings.RECOMPUTE_PART_ACCOUNTS = 3  # here, where the recompute is split
    ids = seven_placed(org_a, placed, in_tenant, worker=True)
    offset = len(WORKER_LOG.read_text())
    recompute_run(str(org_a.id), None, ["framework", 9])

    def finished():
        """the parts' rows are gone, the progress says so, and the worker has logged every
        part it took (it commits, then logs)"""
        with in_tenant(org_a):
            done = recompute_progress(org_a.id)["finished"] and not parts(org_a, in_tenant)
        return done and worker_log_caught_up("recompute.tasks.recompute_part", offset)

    wait_for(finished, timeout=30)
    assert sorted(parts_done_since(offset)) == [1, 3, 3]
    found = migrations_per_account(org_a, in_tenant)
    assert sorted(found) == ids
    assert all(len(moves) == 1 for moves in found.values())


@pytest.mark.django_db(transaction=True)
def test_the_sweep_publishes_again_a_part_whose_task_was_lost(worker, org_a, placed, in_tenant):
    ids = seven_placed(org_a, placed, in_tenant, worker=True)
    with in_tenant(org_a):  # parts whose messages the broker lost an hour ago
        lost = RecomputePart.objects.bulk_create(
            RecomputePart(
                organization=org_a,
                first_id=first,
                last_id=last,
                cause="framework",
                published_at=timezone.now() - timedelta(hours=1),
            )
            for first, last in account_ranges(3)
        )
        RecomputePartProvider.objects.bulk_create(
            RecomputePartProvider(organization=org_a, part=part, provider=key)
            for part in lost
            for key in ("cmi", "chs", "cell")
        )
    sweep.delay(str(org_a.id))  # as beat sends it
    wait_for(lambda: not parts(org_a, in_tenant), timeout=30)
    assert sorted(migrations_per_account(org_a, in_tenant)) == ids


@pytest.mark.django_db
def test_the_sweep_leaves_alone_a_part_published_lately(
    org_a, placed, in_tenant, settings, django_capture_on_commit_callbacks
):
    settings.RECOMPUTE_PART_ACCOUNTS = 3
    seven_placed(org_a, placed, in_tenant)
    with django_capture_on_commit_callbacks(execute=False):
        recompute_run(str(org_a.id), None, ["framework", 9])
        with in_tenant(org_a):
            first = RecomputePart.objects.order_by("first_id").first()
            RecomputePart.objects.filter(pk=first.pk).update(
                published_at=timezone.now() - timedelta(hours=1)
            )
            before = dict(RecomputePart.objects.values_list("pk", "published_at"))
    with django_capture_on_commit_callbacks(execute=False) as published:
        assert drain.run(str(org_a.id)) == 0  # parts are not a drain's to take, nor to relay
    assert len(published) == 1  # the drain's release
    with in_tenant(org_a):
        assert dict(RecomputePart.objects.values_list("pk", "published_at")) == before
    with django_capture_on_commit_callbacks(execute=False) as published:
        assert sweep.run(str(org_a.id)) == 0
    with in_tenant(org_a):
        after = dict(RecomputePart.objects.values_list("pk", "published_at"))
    assert [pk for pk in after if after[pk] != before[pk]] == [first.pk]
    assert len(published) == 2  # the stale part's publication, and the sweep's release
