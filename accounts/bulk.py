"""Actions on many accounts at once, from the account list, besides reassigning and export
(one statement each): what the apps above offer through accounts.hooks.bulk_actions, such as
starting a playbook on each. A small selection is done in the request; a larger one becomes
one BulkJob that a worker does, with progress, through the same action."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenancy.models import Membership, Organization, User

from .hooks import bulk_actions
from .jobs import job_progress_key, job_send
from .models import BulkJob, Job

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BulkAction:
    """An action the member may do to many accounts. `run(option=, account_ids=, by=,
    progress=)` does it to the accounts it is given, skips those it should not touch, and
    says what it did in a sentence; it can be run again on the same ids without doing twice."""

    key: str
    label: str
    option_label: str
    options: list[tuple[str, str]]
    run: Callable[..., str]


def bulk_actions_for(membership: Membership) -> dict[str, BulkAction]:
    return {
        action.key: action for offered in bulk_actions(membership=membership) for action in offered
    }


def bulk_do(
    *,
    organization: Organization,
    action: BulkAction,
    option: str,
    account_ids: list[int],
    by: User,
) -> str | BulkJob:
    """Up to BULK_INLINE_ACCOUNTS accounts now, and what was done; more as a job."""
    if len(account_ids) <= settings.BULK_INLINE_ACCOUNTS:
        return action.run(option=option, account_ids=account_ids, by=by, progress=None)
    job = BulkJob.objects.create(
        organization=organization,
        action=action.key,
        option=option,
        account_ids=account_ids,
        created_by=by,
    )
    job_send(job)
    return job


def bulk_job_run(*, job: BulkJob) -> BulkJob:
    """A worker's: the job's action as its asker may still do it, with progress."""
    membership = Membership.objects.filter(user=job.created_by).first() if job.created_by else None
    action = bulk_actions_for(membership).get(job.action) if membership else None
    if action is None:
        return _finish(job, Job.Status.FAILED, "Whoever asked for this may no longer do it.")

    def progress(done: int, total: int) -> None:
        cache.set(job_progress_key(job), {"done": done, "total": total}, timeout=3600)

    try:
        summary = action.run(
            option=job.option, account_ids=job.account_ids, by=job.created_by, progress=progress
        )
    except ValidationError as error:
        return _finish(job, Job.Status.REJECTED, " ".join(error.messages))
    return _finish(job, Job.Status.DONE, summary)


def _finish(job: BulkJob, status: str, summary: str) -> BulkJob:
    job.status, job.summary, job.finished_at = status, summary[:500], timezone.now()
    job.save(update_fields=["status", "summary", "finished_at"])
    return job
