from tenancy.tasks import tenant_task

from . import services
from .models import ImportJob


@tenant_task()
def import_accounts(job_id: int) -> None:
    services.import_job_run(job=ImportJob.objects.get(pk=job_id))
