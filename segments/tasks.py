"""Recomputes, through a transactional outbox.

`recompute_enqueue` writes a RecomputeRequest in the caller's transaction and, after commit,
nudges a worker to `drain` the tenant's outbox. The nudge is best effort: with the broker down
the request is still accepted and stored, and the periodic sweep (beat, every
RECOMPUTE_SWEEP_SECONDS) drains it once the broker is back. A drain takes every pending row it
can lock, recomputes the union of their accounts once, and deletes them in that transaction: a
storm of submissions for one account becomes a few recomputes, and the last one always sees
the last committed input.

A tenant has one nudged drain at a time: the nudge flag is held from the nudge until the drain
has committed, then released, and the drain nudges again if rows came in meanwhile. So the
submissions that arrive while a drain runs are recomputed together by the next one, whose
fixed cost (reading the framework and scorecard, a dozen statements) they share, instead of
each starting a drain of its own on another worker process.

A tenant-wide recompute (a framework or threshold change) is split into parts of
RECOMPUTE_PART_ACCOUNTS accounts, one task each, so that every worker process takes a share.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.services import account_ranges
from tenancy.context import current_organization_id, tenant_context
from tenancy.tasks import tenant_task

from .models import RecomputeRequest
from .pipeline import EVERYTHING, accounts_recompute, parts_of

logger = logging.getLogger(__name__)
DRAIN_ROWS = 10_000


def progress_key(organization_id) -> str:
    return f"recompute:{organization_id}"


def _nudge_key(organization_id) -> str:
    return f"recompute-nudged:{organization_id}"


def _recent_key(organization_id, account_id) -> str:
    return f"recomputed:{organization_id}:{account_id}"


def _progress_set(organization_id, steps: int, done: int | None = None) -> None:
    """Follow a tenant-wide recompute of `steps` steps: `done` of them so far, written by the
    one process doing the work; or None for a run in parts, whose steps are its outbox rows,
    counted in the database as they go (the parts finish in any order, in any process)."""
    state = {"steps": steps, "done": done}
    _quietly(cache.set, progress_key(organization_id), state, 3600)


def recompute_progress(organization_id) -> dict | None:
    """The tenant's latest tenant-wide recompute, as {"done": percent, "total": 100,
    "finished": bool}; None if there was none within the hour. Runs in the tenant's context."""
    state = _quietly(cache.get, progress_key(organization_id))
    if not state:
        return None
    steps, done = state["steps"], state["done"]
    if done is None:
        done = steps - RecomputeRequest.objects.filter(first_id__isnull=False).count()
    percent = 100 * min(max(done, 0), steps) // max(steps, 1)
    return {"done": percent, "total": 100, "finished": done >= steps}


def _quietly(operation, *args):
    """A cache operation for progress or debouncing: a dead Redis must not fail a recompute."""
    try:
        return operation(*args)
    except Exception:
        logger.warning("cache unreachable: %s skipped", operation.__name__)
        return None


def _run(account_ids: list[int] | None, cause: tuple, parts: frozenset = EVERYTHING) -> int:
    """Recompute these accounts here and now, or all of the tenant's, with progress. Returns
    how many accounts moved cell here.

    With workers, a tenant of more than RECOMPUTE_PART_ACCOUNTS accounts is split into parts
    of that many: one outbox row each, written in this transaction, and one task each once it
    commits (`recompute_part`), so that every worker process takes a share, each part locks
    its accounts only while it runs, and no task outlives the time limit however big the
    tenant. A part whose task is lost is published again by the sweep (`sweep`)."""
    if account_ids is not None:
        return accounts_recompute(account_ids=account_ids, cause=cause, parts=parts)
    organization_id = str(current_organization_id())
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    ranges = [] if eager else account_ranges(settings.RECOMPUTE_PART_ACCOUNTS)
    if len(ranges) > 1:
        now = timezone.now()
        rows = RecomputeRequest.objects.bulk_create(
            RecomputeRequest(
                organization_id=organization_id,
                first_id=first,
                last_id=last,
                parts=",".join(sorted(parts)),
                cause=cause[0] or "",
                cause_id=cause[1],
                published_at=now,
            )
            for first, last in ranges
        )
        ids = [row.pk for row in rows]

        def committed():  # progress counts the rows left: they must be visible first
            _progress_set(organization_id, len(ids))
            _parts_publish(organization_id, ids)

        transaction.on_commit(committed)
        return 0

    def progress(fraction):  # 100 steps for the work, 1 for the commit
        _progress_set(organization_id, 101, round(fraction * 100))

    progress(0.0)
    moved = accounts_recompute(cause=cause, progress=progress, parts=parts)
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
def recompute(account_ids: list[int] | None, cause: list | None = None) -> int:
    """Recompute the given accounts, or every account of the tenant, with progress, if None."""
    return _run(account_ids, tuple(cause) if cause else ("", None))


@tenant_task()
def recompute_part(request_id: int) -> int:
    """One part of a tenant-wide recompute (`_run`): recompute its accounts and delete its
    outbox row in one transaction. Nothing to do if the row is gone (done by an earlier
    delivery) or held (a delivery is running it). Returns how many accounts moved cell."""
    row = (
        RecomputeRequest.objects.select_for_update(skip_locked=True)
        .filter(pk=request_id, first_id__isnull=False)
        .first()
    )
    if row is None:
        return 0
    moved = accounts_recompute(
        between=(row.first_id, row.last_id),
        cause=(row.cause, row.cause_id),
        parts=frozenset(row.parts.split(",")) if row.parts else EVERYTHING,
    )
    row.delete()
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
            ids = None if everyone else sorted({pk for row in rows for pk in row.account_ids})
            last = rows[-1]
            _run(ids, (last.cause, last.cause_id), parts_of({row.cause for row in rows}))
            if ids is not None:  # a storm on these accounts is debounced from now on (`nudge`)
                _remember(organization_id, ids)
            RecomputeRequest.objects.filter(pk__in=[row.pk for row in rows]).delete()
        if relay:
            _parts_relay(str(organization_id))
    except BaseException:
        _forget_nudge(organization_id)  # a later submission nudges again
        raise
    transaction.on_commit(lambda: _drained(organization_id))
    return len(rows)


def _pending():
    """The outbox rows no other drain holds, oldest first, locked; parts are not a drain's."""
    return (
        RecomputeRequest.objects.select_for_update(skip_locked=True)
        .filter(first_id__isnull=True)
        .order_by("id")
    )


def _parts_relay(organization_id: str) -> None:
    """Publish again the parts published longer than RECOMPUTE_PART_REPUBLISH_SECONDS ago
    that no task holds: their message was lost (a broker restarted empty) or their worker
    was killed. A part still queued behind others is published twice; the second delivery
    finds its row gone and does nothing."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.RECOMPUTE_PART_REPUBLISH_SECONDS)
    ids = list(
        RecomputeRequest.objects.select_for_update(skip_locked=True)
        .filter(first_id__isnull=False, published_at__lt=stale)
        .values_list("pk", flat=True)
    )
    if ids:
        RecomputeRequest.objects.filter(pk__in=ids).update(published_at=now)
        transaction.on_commit(lambda: _parts_publish(organization_id, ids))


def _drained(organization_id) -> None:
    """After a drain commits: release the tenant's nudge flag, then nudge again if rows came
    in while it ran (their own nudges found the flag held). Rows another drain holds are that
    drain's to finish, and its own release looks again."""
    _forget_nudge(organization_id)
    with tenant_context(organization_id):
        waiting = _pending().values("pk")[:1].exists()
    if waiting:
        nudge(organization_id)


def _forget_nudge(organization_id) -> None:
    _quietly(cache.delete, _nudge_key(organization_id))


def _remember(organization_id, ids: list[int]) -> None:
    _quietly(cache.set_many, {_recent_key(organization_id, pk): 1 for pk in ids[:1000]}, 1)


def nudge(organization_id: str, account_ids: list[int] | None = None) -> None:
    """Ask a worker to drain the outbox, unless one is already asked. Never raises, never
    waits on a dead broker: the sweep relays what a failed nudge leaves behind.

    An account recomputed within the last second is in a storm: its drain waits
    RECOMPUTE_DEBOUNCE_SECONDS so that one recompute takes the submissions of that interval.
    Other accounts are drained at once.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        drain.apply(args=[organization_id], throw=True)
        return
    try:
        if cache.add(_nudge_key(organization_id), 1, 60):
            keys = [_recent_key(organization_id, pk) for pk in (account_ids or [])[:50]]
            storm = bool(keys) and bool(cache.get_many(keys))
            countdown = settings.RECOMPUTE_DEBOUNCE_SECONDS if storm else None
            drain.apply_async(args=[organization_id], countdown=countdown, retry=False)
    except Exception:
        logger.warning("broker unreachable; %s's recompute waits for the sweep", organization_id)
        _forget_nudge(organization_id)


def recompute_enqueue(
    *, organization, account_ids: list[int] | None, cause: tuple[str, int | None] = ("", None)
) -> None:
    """Record that these accounts (None: all) need a recompute; a worker does it after commit."""
    RecomputeRequest.objects.create(
        organization=organization,
        account_ids=None if account_ids is None else sorted(set(account_ids)),
        cause=cause[0] or "",
        cause_id=cause[1],
    )
    organization_id = str(organization.pk)
    transaction.on_commit(lambda: nudge(organization_id, account_ids))
