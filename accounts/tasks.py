from tenancy.tasks import tenant_task

from . import bulk, jobs, services
from .models import BulkJob, ImportJob


@tenant_task()
def import_accounts(job_id: int) -> None:
    jobs.job_guarded(ImportJob, job_id, services.import_job_run)


@tenant_task()
def bulk_job_run(job_id: int) -> None:
    jobs.job_guarded(BulkJob, job_id, bulk.bulk_job_run)


@tenant_task()
def jobs_relay() -> tuple[int, int]:
    """Beat's, for each tenant every IMPORT_RELAY_SECONDS: the jobs (imports, bulk actions)
    whose task was lost, and those stuck past IMPORT_STUCK_SECONDS."""
    return jobs.jobs_relay()
