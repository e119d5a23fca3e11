"""An import job is its own outbox entry: a task that fails marks it failed with the reason,
beat's relay sends again a job whose task was lost, passes by one being imported, and marks
failed one stuck past IMPORT_STUCK_SECONDS."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.jobs import job_guarded, jobs_relay
from accounts.models import Account, ImportJob
from accounts.services import import_job_run

from ..conftest import wait_for
from ..recomputing import row_held
from .test_import import GOOD


def queued(org, *, age: timedelta, sent: bool = True) -> ImportJob:
    """A job as the web leaves it when its task never arrives: queued, `age` old."""
    job = ImportJob.objects.create(organization=org, filename="lost.csv", content=GOOD)
    at = timezone.now() - age
    ImportJob.objects.filter(pk=job.pk).update(created_at=at, sent_at=at if sent else None)
    return job


@pytest.mark.django_db
def test_a_job_whose_task_fails_ends_failed_with_the_reason_and_writes_nothing(org_a, in_tenant):
    def overflowing(*, job):
        """a write PostgreSQL refuses: 10^13 does not fit numeric(14, 2)"""
        Account.objects.create(organization=org_a, name="Half", external_id="H-1")
        Account.objects.create(organization=org_a, name="Too big", arr=Decimal("1e13"))
        return job

    with in_tenant(org_a):
        job = queued(org_a, age=timedelta(0))
        assert job_guarded(ImportJob, job.pk, overflowing) is None
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED and job.finished_at is not None
        assert "DataError" in job.errors[0]["message"]
        assert not Account.objects.exists()  # the first write rolled back with the second


@pytest.mark.django_db
def test_a_finished_job_is_not_run_again(org_a, bob, in_tenant):
    with in_tenant(org_a):
        job = queued(org_a, age=timedelta(0))
        job_guarded(ImportJob, job.pk, import_job_run)
        assert Account.objects.count() == 2
        Account.objects.all().delete()
        job_guarded(ImportJob, job.pk, import_job_run)  # a task sent twice
        assert not Account.objects.exists()


@pytest.mark.django_db
def test_the_relay_leaves_a_fresh_job_and_marks_a_stuck_one_failed(org_a, in_tenant, settings):
    with in_tenant(org_a):
        fresh = queued(org_a, age=timedelta(seconds=5))
        stuck = queued(org_a, age=timedelta(seconds=settings.IMPORT_STUCK_SECONDS + 1))
        assert jobs_relay() == (0, 1)
        fresh.refresh_from_db()
        stuck.refresh_from_db()
        assert fresh.status == ImportJob.Status.QUEUED
        assert stuck.status == ImportJob.Status.FAILED
        assert "No worker finished this import within 60 minutes" in stuck.errors[0]["message"]


@pytest.mark.django_db(transaction=True)
def test_the_relay_passes_by_a_job_being_imported(org_a, in_tenant, settings):
    with in_tenant(org_a):
        job = queued(org_a, age=timedelta(seconds=settings.IMPORT_STUCK_SECONDS + 1))
    # The test holds the row's lock, as the job's running task would.
    with row_held(org_a, "accounts_importjob", job.pk), in_tenant(org_a):
        assert jobs_relay() == (0, 0)
    with in_tenant(org_a):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.QUEUED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sent", [True, False])
def test_a_job_whose_task_was_lost_is_relayed_and_imported_by_the_worker(
    worker, org_a, bob, in_tenant, settings, sent
):
    with in_tenant(org_a):
        job = queued(
            org_a, age=timedelta(seconds=settings.IMPORT_RELAY_GRACE_SECONDS + 1), sent=sent
        )
        assert jobs_relay() == (1, 0)

    def imported():
        """the worker imported the relayed job"""
        with in_tenant(org_a):
            return ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE

    wait_for(imported, timeout=30)
    with in_tenant(org_a):
        assert sorted(Account.objects.values_list("name", flat=True)) == ["Alpha Corp", "Beta Ltd"]
        assert jobs_relay() == (0, 0)
