"""Actions on many accounts at once, from the account list: reassigning them (managers),
and what the apps above offer through accounts.hooks.bulk_actions, such as starting a
playbook on each. A small selection is done in the request; a larger one becomes
one BulkJob that a worker does, with progress, through the same action."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenancy.models import Membership, Organization, Role, User

from .hooks import bulk_actions
from .jobs import job_progress_key, job_send
from .models import Account, BulkJob, Job
from .services import accounts_reassign

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


REASSIGN = "reassign"


def _reassign(*, option: str, account_ids: list[int], by: User, progress: Progress | None) -> str:
    """Reassign to the member `option` names (one who may own accounts), or to no one."""
    owner = (
        Membership.objects.exclude(role=Role.VIEWER).filter(user_id=int(option)).first()
        if option
        else None
    )
    if option and owner is None:
        raise ValidationError("That member can no longer own accounts.")
    csm = owner.user if owner else None
    if progress:
        progress(0, len(account_ids))
    moved = accounts_reassign(accounts=Account.objects.filter(pk__in=account_ids), csm=csm)
    if progress:
        progress(len(account_ids), len(account_ids))
    noun = "account" if moved == 1 else "accounts"
    return f"{moved} {noun} moved to {csm or 'no one'}, with their open tasks."


def bulk_actions_for(membership: Membership) -> dict[str, BulkAction]:
    """What this member may do to many accounts: reassign them (managers), and what the apps
    above offer."""
    own = (
        [BulkAction(REASSIGN, "Reassign to", "CSM", [], _reassign)] if membership.can_manage else []
    )
    offered = [action for actions in bulk_actions(membership=membership) for action in actions]
    return {action.key: action for action in [*own, *offered]}


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
