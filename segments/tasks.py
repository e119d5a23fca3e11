from django.core.cache import cache
from django.db import transaction

from tenancy.context import current_organization_id
from tenancy.tasks import tenant_task

from .pipeline import accounts_recompute


def progress_key(organization_id) -> str:
    return f"recompute:{organization_id}"


@tenant_task()
def recompute(account_ids: list[int] | None, cause: list | None = None) -> int:
    """Recompute the given accounts, or every account of the tenant, with progress, if None."""
    cause = tuple(cause) if cause else ("", None)
    if account_ids is not None:
        return accounts_recompute(account_ids=account_ids, cause=cause)
    key = progress_key(current_organization_id())

    def progress(fraction):
        cache.set(key, {"done": round(fraction * 100), "total": 100, "finished": False}, 3600)

    progress(0.0)
    moved = accounts_recompute(cause=cause, progress=progress)
    transaction.on_commit(
        lambda: cache.set(key, {"done": 100, "total": 100, "finished": True}, 3600)
    )
    return moved


def recompute_enqueue(
    *, organization, account_ids: list[int] | None, cause: tuple[str, int | None] = ("", None)
) -> None:
    """After commit, recompute these accounts (None: all) of the organization."""
    recompute.delay_on_commit(str(organization.pk), account_ids, list(cause))
