from accounts.models import Account
from tenancy.tasks import tenant_task

from .recompute import snapshot_daily


@tenant_task()
def daily_snapshots() -> None:
    """Nightly: rescore every account's CHS as of now, since it moves with time alone (a value
    older than its measure's window drops out, the 30-day trend slides), with the migrations
    that follow; then snapshot the accounts the rescoring did not, so trends have daily
    points."""
    from segments.pipeline import PARTS, accounts_recompute

    accounts_recompute(cause=("daily", None), parts=PARTS["daily"])
    snapshot_daily()


@tenant_task()
def lapse_overrides() -> None:
    """Accounts still marked overridden whose override has expired go back to their score."""
    from segments.pipeline import accounts_recompute

    ids = list(Account.objects.filter(chs_overridden=True).values_list("pk", flat=True))
    if ids:
        accounts_recompute(account_ids=ids, cause=("override_expired", None))


@tenant_task()
def import_metrics(job_id: int) -> None:
    from accounts.models import ImportJob

    from .services import metrics_import_run

    metrics_import_run(job=ImportJob.objects.get(pk=job_id))
