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
"""

import logging

from django.core.cache import cache
from django.db import transaction

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


def _run(account_ids: list[int] | None, cause: tuple, parts: frozenset = EVERYTHING) -> int:
    if account_ids is not None:
        return accounts_recompute(account_ids=account_ids, cause=cause, parts=parts)
    key = progress_key(current_organization_id())

    def progress(fraction):
        cache.set(key, {"done": round(fraction * 100), "total": 100, "finished": False}, 3600)

    progress(0.0)
    moved = accounts_recompute(cause=cause, progress=progress, parts=parts)
    transaction.on_commit(
        lambda: cache.set(key, {"done": 100, "total": 100, "finished": True}, 3600)
    )
    return moved


@tenant_task()
def recompute(account_ids: list[int] | None, cause: list | None = None) -> int:
    """Recompute the given accounts, or every account of the tenant, with progress, if None."""
    return _run(account_ids, tuple(cause) if cause else ("", None))


@tenant_task()
def drain() -> int:
    """Recompute what the tenant's outbox asks for, once; returns how many rows it took."""
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
    except BaseException:
        _forget_nudge(organization_id)  # a later submission nudges again
        raise
    transaction.on_commit(lambda: _drained(organization_id))
    return len(rows)


def _pending():
    """The outbox rows no other drain holds, oldest first, locked."""
    return RecomputeRequest.objects.select_for_update(skip_locked=True).order_by("id")


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
    try:
        cache.delete(_nudge_key(organization_id))
    except Exception:
        logger.warning("could not clear the nudge flag of %s", organization_id)


def _remember(organization_id, ids: list[int]) -> None:
    try:
        cache.set_many({_recent_key(organization_id, pk): 1 for pk in ids[:1000]}, 1)
    except Exception:
        logger.warning("could not note the recompute of %s's accounts", organization_id)


def nudge(organization_id: str, account_ids: list[int] | None = None) -> None:
    """Ask a worker to drain the outbox, unless one is already asked. Never raises, never
    waits on a dead broker: the sweep relays what a failed nudge leaves behind.

    An account recomputed within the last second is in a storm: its drain waits
    RECOMPUTE_DEBOUNCE_SECONDS so that one recompute takes the submissions of that interval.
    Other accounts are drained at once.
    """
    from django.conf import settings

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
