"""Reads for playbooks: inboxes, the team's overdue tasks, what an account has running."""

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from tenancy.models import Membership, User

from .models import Playbook, PlaybookRun, PlaybookTask
from .services import open_tasks

DONE_SHOWN = 50


def inbox_filter(membership: Membership, *, csm: User | None = None) -> Q:
    """Whose tasks an inbox shows: one's own; a manager also sees the unowned ones, or one CSM's."""
    if csm is not None and membership.can_manage:
        return Q(assignee=csm)
    mine = Q(assignee_id=membership.user_id)
    return mine | Q(assignee__isnull=True) if membership.can_manage else mine


def tasks_for_inbox(*, membership: Membership, today=None, csm: User | None = None) -> dict:
    today = today or timezone.localdate()
    tasks = PlaybookTask.objects.filter(inbox_filter(membership, csm=csm)).select_related(
        "account", "run__playbook", "assignee", "completed_by"
    )
    pending = list(tasks.filter(open_tasks()).order_by("due_on", "run_id", "position"))
    return {
        "overdue": [t for t in pending if t.due_on < today],
        "due": [t for t in pending if t.due_on >= today],
        "done": list(
            tasks.exclude(status=PlaybookTask.Status.OPEN).order_by("-completed_at", "-id")[
                :DONE_SHOWN
            ]
        ),
    }


def open_task_count(*, membership: Membership, today=None) -> dict:
    today = today or timezone.localdate()
    return PlaybookTask.objects.filter(inbox_filter(membership), open_tasks()).aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today))
    )


def overdue_by_csm(*, today=None) -> list[dict]:
    """Open tasks past their due date, per assignee (None: unassigned), most first."""
    today = today or timezone.localdate()
    rows = (
        PlaybookTask.objects.filter(open_tasks(), due_on__lt=today)
        .values("assignee_id", "assignee__email")
        .annotate(count=Count("id"), oldest=Min("due_on"))
        .order_by("-count", "assignee__email")
    )
    return [
        {
            "assignee_id": row["assignee_id"],
            "email": row["assignee__email"] or "",
            "count": row["count"],
            "oldest": row["oldest"],
            "days": (today - row["oldest"]).days,
        }
        for row in rows
    ]


def runs_of_account(account) -> QuerySet[PlaybookRun]:
    return (
        PlaybookRun.objects.filter(account=account)
        .select_related("playbook", "started_by")
        .prefetch_related("tasks__assignee")
    )


def playbooks_startable(account) -> QuerySet[Playbook]:
    """Active playbooks not already running for the account."""
    running = PlaybookRun.objects.filter(account=account, status=PlaybookRun.Status.ACTIVE)
    return Playbook.objects.filter(is_active=True).exclude(pk__in=running.values("playbook_id"))
