from django.core.cache import cache

from accounts.models import Account
from tenancy.context import current_organization_id
from tenancy.tasks import tenant_task

from .recompute import accounts_recompute_health, snapshot_daily


def recompute_progress_key(organization_id: str) -> str:
    return f"health:recompute:{organization_id}"


@tenant_task()
def recompute_health(account_ids: list[int] | None) -> None:
    """Recompute the given accounts, or every account (with progress) when None."""
    if account_ids is not None:
        accounts_recompute_health(accounts=Account.objects.filter(pk__in=account_ids))
        return
    key = recompute_progress_key(str(current_organization_id()))

    def progress(done, total):
        cache.set(key, {"done": done, "total": total, "finished": False}, 3600)

    progress(0, 0)
    accounts_recompute_health(progress=progress)
    state = cache.get(key) or {}
    cache.set(key, {**state, "finished": True}, 3600)


@tenant_task()
def daily_snapshots() -> None:
    snapshot_daily()


@tenant_task()
def lapse_overrides() -> None:
    """Accounts still marked overridden whose override has expired go back to their score."""
    accounts_recompute_health(accounts=Account.objects.filter(chs_overridden=True))


@tenant_task()
def import_metrics(job_id: int) -> None:
    from accounts.models import ImportJob

    from .services import metrics_import_run

    metrics_import_run(job=ImportJob.objects.get(pk=job_id))
