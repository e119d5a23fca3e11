from accounts.jobs import job_guarded
from accounts.models import ImportJob
from tenancy.tasks import tenant_task

from .history import assessments_import_run


@tenant_task()
def import_assessments(job_id: int) -> None:
    job_guarded(ImportJob, job_id, assessments_import_run)
