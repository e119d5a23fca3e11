from accounts.services import import_job_guarded
from tenancy.tasks import tenant_task

from .models import BacktestReport
from .reports import report_compute
from .services import outcomes_import_run


@tenant_task()
def import_outcomes(job_id: int) -> None:
    import_job_guarded(job_id, outcomes_import_run)


@tenant_task()
def backtest_compute(report_id: int) -> None:
    running = BacktestReport.objects.filter(pk=report_id, status=BacktestReport.Status.RUNNING)
    report = running.select_for_update(skip_locked=True).first()
    if report is not None:  # gone: out of date already, or computed by another copy
        report_compute(report=report)
