"""The recompute's public interface: ask for one (`recompute_enqueue`), follow one
(`recompute_progress`).

A request is an outbox row written in the caller's transaction; after commit a worker is
nudged to drain the tenant's outbox (recompute.tasks). The nudge is best effort: with the
broker down the request is still stored, and beat's sweep drains it once the broker is back.
"""

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.module_loading import import_string

from core.derivation import MANUAL, Cause
from tenancy.models import Organization

from .models import RecomputePart, RecomputeRequest

logger = logging.getLogger(__name__)


def recompute_enqueue(
    *, organization: Organization, account_ids: Sequence[int] | None, cause: Cause = MANUAL
) -> RecomputeRequest:
    """Record that these accounts (None: all) need a recompute; a worker does it after commit.
    The receiver of core.derivation.recompute_requested."""
    request = RecomputeRequest.objects.create(
        organization=organization,
        account_ids=None if account_ids is None else sorted(set(account_ids)),
        cause=cause.kind.value,
        cause_id=cause.id,
    )
    organization_id = str(organization.pk)
    ids = None if account_ids is None else list(account_ids)
    transaction.on_commit(lambda: nudge(organization_id, ids))
    return request


def progress_key(organization_id: object) -> str:
    return f"recompute:{organization_id}"


def progress_set(organization_id: object, steps: int, done: int | None = None) -> None:
    """Follow a tenant-wide recompute of `steps` steps: `done` of them so far, written by the
    one process doing the work; or None for a run in parts, whose steps are its part rows,
    counted in the database as they go (the parts finish in any order, in any process)."""
    quietly(cache.set, progress_key(organization_id), {"steps": steps, "done": done}, 3600)


def recompute_progress(organization_id: object) -> dict[str, Any] | None:
    """The tenant's latest tenant-wide recompute, as {"done": percent, "total": 100,
    "finished": bool}; None if there was none within the hour. Runs in the tenant's context."""
    state = quietly(cache.get, progress_key(organization_id))
    if not state:
        return None
    steps, done = state["steps"], state["done"]
    if done is None:
        done = steps - RecomputePart.objects.count()
    percent = 100 * min(max(done, 0), steps) // max(steps, 1)
    return {"done": percent, "total": 100, "finished": done >= steps}


def quietly(operation: Callable[..., Any], *args: Any) -> Any:
    """A cache operation for progress or debouncing: a dead Redis must not fail a recompute."""
    try:
        return operation(*args)
    except Exception:
        logger.warning("cache unreachable: %s skipped", operation.__name__)
        return None


def nudge_key(organization_id: object) -> str:
    return f"recompute-nudged:{organization_id}"


def recent_key(organization_id: object, account_id: int) -> str:
    return f"recomputed:{organization_id}:{account_id}"


def nudge(organization_id: str, account_ids: list[int] | None = None) -> None:
    """Ask a worker to drain the outbox, unless one is already asked. Never raises, never
    waits on a dead broker: the sweep relays what a failed nudge leaves behind.

    An account recomputed within the last second is in a storm: its drain waits
    RECOMPUTE_DEBOUNCE_SECONDS so that one recompute takes the submissions of that interval.
    Other accounts are drained at once.
    """
    drain = import_string("recompute.tasks.drain")  # by path: the tasks module imports this one
    if settings.CELERY_TASK_ALWAYS_EAGER:
        drain.apply(args=[organization_id], throw=True)
        return
    try:
        if cache.add(nudge_key(organization_id), 1, 60):
            keys = [recent_key(organization_id, pk) for pk in (account_ids or [])[:50]]
            storm = bool(keys) and bool(cache.get_many(keys))
            countdown = settings.RECOMPUTE_DEBOUNCE_SECONDS if storm else None
            drain.apply_async(args=[organization_id], countdown=countdown, retry=False)
    except Exception:
        logger.warning("broker unreachable; %s's recompute waits for the sweep", organization_id)
        nudge_forget(organization_id)


def nudge_forget(organization_id: object) -> None:
    quietly(cache.delete, nudge_key(organization_id))


def recent_remember(organization_id: object, ids: list[int]) -> None:
    quietly(cache.set_many, {recent_key(organization_id, pk): 1 for pk in ids[:1000]}, 1)
