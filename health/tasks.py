from accounts.models import ImportJob
from tenancy.tasks import tenant_task

from .services import metrics_import_run


@tenant_task()
def import_metrics(job_id: int) -> None:
    metrics_import_run(job=ImportJob.objects.get(pk=job_id))
