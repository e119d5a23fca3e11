from accounts.jobs import job_guarded
from accounts.models import ImportJob
from tenancy.tasks import tenant_task

from .services import metrics_import_run


@tenant_task()
def import_metrics(job_id: int) -> None:
    job_guarded(ImportJob, job_id, metrics_import_run)
