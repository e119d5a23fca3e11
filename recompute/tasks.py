"""The recompute's Celery tasks: drains of the outbox, parts of tenant-wide runs, the sweep
that relays what a lost message left behind, and the nightly rescoring.

A drain takes every pending request it can lock, recomputes the union of their accounts once,
and deletes them in that transaction: a storm of submissions for one account becomes a few
recomputes, and the last one always sees the last committed input. A tenant has one nudged
drain at a time: the nudge flag is held from the nudge until the drain has committed, then
released, and the drain nudges again if rows came in meanwhile. So the submissions that arrive
while a drain runs are recomputed together by the next one, whose fixed cost (reading the
framework and scorecard) they share.

A tenant-wide recompute (a framework or scorecard change) is split into parts of
RECOMPUTE_PART_ACCOUNTS accounts, one row and one task each, so that every worker process
takes a share.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account
from core.derivation import Cause, CauseKind, providers_redone
from health.provider import snapshot_daily
from tenancy.context import current_organization_id, tenant_context
from tenancy.tasks import tenant_task

from .accounts import account_ranges
from .models import RecomputePart, RecomputePartProvider, RecomputeRequest
from .pipeline import accounts_recompute
from .services import nudge, nudge_forget, progress_set, recent_remember

logger = logging.getLogger(__name__)
DRAIN_ROWS = 10_000


def run_request(account_ids: list[int] | None, cause: Cause, redo: frozenset[str]) -> int:
    """Recompute these accounts here and now, or all of the tenant's, with progress. Returns
    how many accounts moved cell here.

    With workers, a tenant of more than RECOMPUTE_PART_ACCOUNTS accounts is split into parts
    of that many: one RecomputePart each, written in this transaction, and one task each once
    it commits (`recompute_part`), so that every worker process takes a share, each part locks
    its accounts only while it runs, and no task outlives the time limit however big the
    tenant. A part whose task is lost is published again by the sweep (`sweep`)."""
    if account_ids is not None:
        return accounts_recompute(account_ids=account_ids, cause=cause, redo=redo).moved
    organization_id = str(current_organization_id())
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    ranges = [] if eager else account_ranges(settings.RECOMPUTE_PART_ACCOUNTS)
    if len(ranges) > 1:
        now = timezone.now()
        parts = RecomputePart.objects.bulk_create(
            RecomputePart(
                organization_id=organization_id,
                first_id=first,
                last_id=last,
                cause=cause.kind.value,
                cause_id=cause.id,
                published_at=now,
            )
            for first, last in ranges
        )
        RecomputePartProvider.objects.bulk_create(
            RecomputePartProvider(organization_id=organization_id, part=part, provider=key)
            for part in parts
            for key in sorted(redo)
        )
        ids = [part.pk for part in parts]

        def committed() -> None:  # progress counts the parts left: they must be visible first
            progress_set(organization_id, len(ids))
            _parts_publish(organization_id, ids)

        transaction.on_commit(committed)
        return 0

    def progress(fraction: float) -> None:  # 100 steps for the work, 1 for the commit
        progress_set(organization_id, 101, round(fraction * 100))

    progress(0.0)
    moved = accounts_recompute(cause=cause, progress=progress, redo=redo).moved
    transaction.on_commit(lambda: progress(1.01))
    return moved


def _parts_publish(organization_id: str, ids: list[int]) -> None:
    """Send a task for each part; a failure leaves the rest to the sweep."""
    try:
        for pk in ids:
            recompute_part.apply_async(args=[organization_id, pk], retry=False)
    except Exception:
        logger.warning("broker unreachable; %s's parts wait for the sweep", organization_id)


@tenant_task()
def recompute_part(part_id: int) -> int:
    """One part of a tenant-wide recompute (`run_request`): recompute its accounts and delete its
    row in one transaction. Nothing to do if the row is gone (done by an earlier delivery) or
    held (a delivery is running it). Returns how many accounts moved cell."""
    part = RecomputePart.objects.select_for_update(skip_locked=True).filter(pk=part_id).first()
    if part is None:
        return 0
    moved = accounts_recompute(
        between=(part.first_id, part.last_id),
        cause=part.reason,
        redo=set(part.providers.values_list("provider", flat=True)),
    ).moved
    part.delete()
    return moved


@tenant_task()
def drain() -> int:
    """Recompute what the tenant's outbox asks for, once; returns how many rows it took.
    Parts of a tenant-wide recompute are their own tasks' to do."""
    return _drain(relay=False)


@tenant_task()
def sweep() -> int:
    """Beat's, for each tenant every RECOMPUTE_SWEEP_SECONDS: drain what a failed nudge left
    behind, and publish again the parts whose task seems lost (`_parts_relay`). A nudged
    drain leaves the parts alone: one in thousands would find one, and every one would pay
    for looking."""
    return _drain(relay=True)


def _drain(relay: bool) -> int:
    organization_id = current_organization_id()
    try:
        rows = list(_pending()[:DRAIN_ROWS])
        if rows:
            everyone = any(row.account_ids is None for row in rows)
            ids = None if everyone else sorted({pk for row in rows for pk in row.account_ids or []})
            redo = providers_redone([row.reason.kind for row in rows])
            run_request(ids, rows[-1].reason, redo)
            if ids is not None:  # a storm on these accounts is debounced from now on (`nudge`)
                recent_remember(organization_id, ids)
            RecomputeRequest.objects.filter(pk__in=[row.pk for row in rows]).delete()
        if relay:
            _parts_relay(str(organization_id))
    except BaseException:
        nudge_forget(organization_id)  # a later submission nudges again
        raise
    transaction.on_commit(lambda: _drained(str(organization_id)))
    return len(rows)


def _pending() -> QuerySet[RecomputeRequest]:
    """The requests no other drain holds, oldest first, locked."""
    return RecomputeRequest.objects.select_for_update(skip_locked=True).order_by("id")


def _parts_relay(organization_id: str) -> None:
    """Publish again the parts published longer than RECOMPUTE_PART_REPUBLISH_SECONDS ago
    that no task holds: their message was lost (a broker restarted empty) or their worker
    was killed. A part still queued behind others is published twice; the second delivery
    finds its row gone and does nothing."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.RECOMPUTE_PART_REPUBLISH_SECONDS)
    ids = list(
        RecomputePart.objects.select_for_update(skip_locked=True)
        .filter(published_at__lt=stale)
        .values_list("pk", flat=True)
    )
    if ids:
        RecomputePart.objects.filter(pk__in=ids).update(published_at=now)
        transaction.on_commit(lambda: _parts_publish(organization_id, ids))


def _drained(organization_id: str) -> None:
    """After a drain commits: release the tenant's nudge flag, then nudge again if rows came
    in while it ran (their own nudges found the flag held). Rows another drain holds are that
    drain's to finish, and its own release looks again."""
    nudge_forget(organization_id)
    with tenant_context(organization_id):
        waiting = _pending().values("pk")[:1].exists()
    if waiting:
        nudge(organization_id)


@tenant_task()
def nightly() -> None:
    """Beat's, at 02:00: rescore every account's CHS as of now, since it moves with time alone
    (a value older than its measure's window drops out, the 30-day trend slides), with the
    migrations that follow; then snapshot the accounts the rescoring did not, so trends have
    daily points."""
    accounts_recompute(cause=Cause(CauseKind.DAILY), redo=providers_redone([CauseKind.DAILY]))
    snapshot_daily()


@tenant_task()
def lapse_overrides() -> None:
    """Beat's, every 15 minutes: accounts still marked overridden whose override has expired
    go back to their computed score."""
    ids = list(Account.objects.filter(chs_overridden=True).values_list("pk", flat=True))
    if ids:
        accounts_recompute(account_ids=ids, cause=Cause(CauseKind.OVERRIDE_EXPIRED))
