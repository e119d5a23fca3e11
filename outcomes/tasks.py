from accounts.jobs import job_guarded
from accounts.models import ImportJob
from tenancy.tasks import tenant_task

from .models import BacktestReport
from .reports import report_compute
from .services import outcomes_import_run


@tenant_task()
def import_outcomes(job_id: int) -> None:
    job_guarded(ImportJob, job_id, outcomes_import_run)


@tenant_task()
def backtest_compute(report_id: int) -> None:
    running = BacktestReport.objects.filter(pk=report_id, status=BacktestReport.Status.RUNNING)
    report = running.select_for_update(skip_locked=True).first()
    if report is not None:  # gone: out of date already, or computed by another copy
        report_compute(report=report)
