"""playbooks' entries on the account timeline: runs started and tasks finished."""

from django.urls import reverse

from accounts.timeline import Entry

from .models import PlaybookRun, PlaybookTask


def entries(*, account, kinds: set[str], limit: int) -> list[Entry]:
    found: list[Entry] = []
    if "playbook" in kinds:
        runs = (
            PlaybookRun.objects.filter(account=account)
            .select_related("playbook", "started_by")
            .order_by("-started_at")[:limit]
        )
        for run in runs:
            found.append(
                Entry(
                    at=run.started_at,
                    kind="playbook",
                    title=f"Playbook started: {run.playbook.name}",
                    detail=run.get_trigger_display(),
                    actor=str(run.started_by) if run.started_by else "Ascend",
                    url=reverse("playbooks:run", args=[run.pk]),
                )
            )
    if "task" in kinds:
        done = (
            PlaybookTask.objects.filter(account=account, completed_at__isnull=False)
            .select_related("completed_by")
            .order_by("-completed_at")[:limit]
        )
        for task in done:
            found.append(
                Entry(
                    at=task.completed_at,  # type: ignore[arg-type]  # filtered not null
                    kind="task",
                    title=f"Task {task.get_status_display().lower()}: {task.title}",
                    detail=task.note,
                    actor=str(task.completed_by) if task.completed_by else task.completed_via,
                    url=reverse("playbooks:run", args=[task.run_id]),
                )
            )
    return found
