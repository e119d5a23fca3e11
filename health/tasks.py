from accounts.services import import_job_guarded
from tenancy.tasks import tenant_task

from .services import metrics_import_run


@tenant_task()
def import_metrics(job_id: int) -> None:
    import_job_guarded(job_id, metrics_import_run)
