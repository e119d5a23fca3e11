"""Jobs a worker does out of the request (imports, bulk actions): each row is its own outbox
entry. Its task is sent after commit and never raises; a task that is lost (a broker outage,
a killed worker) is sent again by beat's relay; a job that never finishes is marked failed
with the reason. A task claims its job by locking the row for the whole job, so a relayed
copy, or the relay itself, passes it by."""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from core.queue import task_send_on_commit

from .models import BulkJob, ImportJob, Job

logger = logging.getLogger(__name__)

# The task that runs each kind of import, by dotted path (the apps above own theirs).
IMPORT_TASKS = {
    ImportJob.Kind.ACCOUNTS: "accounts.tasks.import_accounts",
    ImportJob.Kind.METRICS: "health.tasks.import_metrics",
    ImportJob.Kind.OUTCOMES: "outcomes.tasks.import_outcomes",
    ImportJob.Kind.ASSESSMENTS: "maturity.tasks.import_assessments",
}
BULK_TASK = "accounts.tasks.bulk_job_run"
JOB_MODELS: tuple[type[Job], ...] = (ImportJob, BulkJob)
J = TypeVar("J", bound=Job)


def _task_of(job: Job) -> str:
    return IMPORT_TASKS[ImportJob.Kind(job.kind)] if isinstance(job, ImportJob) else BULK_TASK


def job_send(job: Job) -> None:
    """Send the job's task after commit (never raising: the relay sends it again if lost)."""
    type(job).objects.filter(pk=job.pk).update(sent_at=timezone.now())
    task_send_on_commit(_task_of(job), str(job.organization_id), job.pk)


def job_guarded(model: type[J], job_id: int, run: Callable[..., J]) -> J | None:
    """What a job's task does: claim the job, run it in one transaction, and if it fails,
    roll everything back and mark the job failed with the reason."""
    try:
        with transaction.atomic():
            job = model.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
            if job is None or job.is_finished:
                return job  # running elsewhere, done already, or deleted
            return run(job=job)
    except Exception as error:
        logger.exception("%s %s failed", model.__name__, job_id)
        first_line = (str(error).strip().splitlines() or [""])[0]
        job_fail(model, job_id, f"The job stopped ({type(error).__name__}: {first_line})")
        return None


def job_fail(model: type[Job], job_id: int, reason: str) -> None:
    model.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.FAILED,
        errors=[{"line": None, "message": reason[:500]}],
        finished_at=timezone.now(),
    )


@transaction.atomic
def jobs_relay(*, now=None) -> tuple[int, int]:
    """Beat's, for each tenant: send again the queued jobs whose task was sent more than
    IMPORT_RELAY_GRACE_SECONDS ago and has not started, and mark failed those still queued
    IMPORT_STUCK_SECONDS after they were asked for. Returns (relayed, failed)."""
    now = now or timezone.now()
    stuck_since = now - timedelta(seconds=settings.IMPORT_STUCK_SECONDS)
    lost_since = now - timedelta(seconds=settings.IMPORT_RELAY_GRACE_SECONDS)
    minutes = round(settings.IMPORT_STUCK_SECONDS / 60)
    relayed = failed = 0
    for model in JOB_MODELS:
        queued = model.objects.select_for_update(skip_locked=True).filter(status=Job.Status.QUEUED)
        stuck = list(queued.filter(created_at__lt=stuck_since).values_list("pk", flat=True))
        for job_id in stuck:
            job_fail(
                model, job_id, f"No worker finished this {model.noun} within {minutes} minutes."
            )
        lost = list(
            queued.exclude(pk__in=stuck).filter(
                models.Q(sent_at__lt=lost_since) | models.Q(sent_at=None, created_at__lt=lost_since)
            )
        )
        for job in lost:
            job_send(job)
        relayed, failed = relayed + len(lost), failed + len(stuck)
    return relayed, failed


def job_progress_key(job: Job) -> str:
    return f"accounts:{type(job).__name__.lower()}:{job.pk}:progress"
