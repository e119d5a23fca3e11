"""Demo work on the tasks the demo's history started: most past tasks done, some skipped."""

import random
from datetime import datetime, time, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from .models import PlaybookRun, PlaybookTask

SKIP_NOTES = ["Customer postponed; revisit next quarter.", "Covered in the QBR instead."]


def demo_task_work(*, seed: int = 7) -> int:
    rng = random.Random(seed)
    today = timezone.localdate()
    tasks = list(PlaybookTask.objects.filter(status=PlaybookTask.Status.OPEN, due_on__lt=today))
    for task in tasks:
        roll = rng.random()
        if roll > 0.85:
            continue  # left open: overdue in the inbox
        day = task.due_on - timedelta(days=rng.randint(0, 5))
        task.completed_at = timezone.make_aware(datetime.combine(day, time(15)))
        task.status = PlaybookTask.Status.SKIPPED if roll > 0.75 else PlaybookTask.Status.DONE
        task.note = rng.choice(SKIP_NOTES) if roll > 0.75 else "Done."
        task.completed_via = "demo"
    PlaybookTask.objects.bulk_update(tasks, ["status", "note", "completed_at", "completed_via"])
    open_tasks = PlaybookTask.objects.filter(run=OuterRef("pk"), status=PlaybookTask.Status.OPEN)
    return (
        PlaybookRun.objects.filter(status=PlaybookRun.Status.ACTIVE)
        .filter(~Exists(open_tasks))
        .update(status=PlaybookRun.Status.COMPLETED, ended_at=timezone.now())
    )
