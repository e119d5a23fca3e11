"""Writes for playbooks, their runs and tasks.

Runs start inside the segment recompute's transaction, from the migrations it writes: a
migration is written once per real change, so a run is started once per real change too,
whatever the redeliveries of the recompute task.
"""

import json
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Q, When
from django.utils import timezone

from accounts.models import Account
from segments.cells import GRID_3X3
from segments.models import TierMigration
from tenancy.models import Membership, Organization, Role, User

from .models import OwnerRole, Playbook, PlaybookRun, PlaybookStep, PlaybookTask

DEFAULTS_FILE = Path(__file__).resolve().parent / "defaults.json"
CELL_KEYS = tuple(GRID_3X3.values())


def defaults_load() -> list[dict]:
    return json.loads(DEFAULTS_FILE.read_text())


@transaction.atomic
def playbook_defaults_install(*, organization: Organization) -> list[Playbook]:
    """Create the shipped playbooks the organization does not have yet (matched by key)."""
    have = set(Playbook.objects.exclude(key="").values_list("key", flat=True))
    created = []
    for spec in defaults_load():
        if spec["key"] in have:
            continue
        steps = spec.pop("steps")
        playbook = Playbook.objects.create(organization=organization, **spec)
        steps_replace(playbook=playbook, steps=steps)
        created.append(playbook)
    return created


def steps_replace(*, playbook: Playbook, steps: list[dict]) -> None:
    """Set the playbook's steps, in order. Running tasks keep their own copy of the texts."""
    if not steps:
        raise ValidationError({"steps": "A playbook needs at least one step."})
    playbook.steps.all().delete()
    PlaybookStep.objects.bulk_create(
        PlaybookStep(
            organization=playbook.organization,
            playbook=playbook,
            position=position,
            title=step["title"],
            guidance=step.get("guidance", ""),
            due_offset_days=step.get("due_offset_days", 7),
            owner_role=step.get("owner_role", OwnerRole.CSM),
        )
        for position, step in enumerate(steps)
    )


def targeting_clean(*, cells: list[str]) -> list[str]:
    unknown = sorted(set(cells) - set(CELL_KEYS))
    if not cells:
        raise ValidationError({"cells": "Choose at least one grid cell."})
    if unknown:
        raise ValidationError({"cells": f"Unknown cells: {', '.join(unknown)}."})
    return [key for key in CELL_KEYS if key in cells]


def playbook_matches(playbook: Playbook, account: Account, cell: str) -> bool:
    """Does the playbook apply to this account entering this cell?"""
    return (
        playbook.is_active
        and cell in playbook.cells
        and (not playbook.tiers or account.cmi_tier in playbook.tiers)
        and (not playbook.isic_codes or account.isic_code in playbook.isic_codes)
        and (not playbook.size_bands or account.size_band in playbook.size_bands)
    )


def _tasks_build(run: PlaybookRun, steps: Iterable[PlaybookStep], csm_id: int | None):
    start = timezone.localdate(run.started_at)
    return [
        PlaybookTask(
            organization_id=run.organization_id,
            run=run,
            account_id=run.account_id,
            position=step.position,
            title=step.title,
            guidance=step.guidance,
            owner_role=step.owner_role,
            assignee_id=csm_id if step.owner_role == OwnerRole.CSM else None,
            due_on=start + timedelta(days=step.due_offset_days),
        )
        for step in steps
    ]


def playbook_defaults_for(*, organization: Organization, by: User) -> None:
    """organization_defaults: the shipped playbooks."""
    playbook_defaults_install(organization=organization)


def playbooks_active() -> bool:
    return Playbook.objects.filter(is_active=True).exists()


def runs_start_for_moves(*, account_ids: list[int], occurred_at, txid: int) -> list[PlaybookRun]:
    """cells_changed: start and supersede runs for the migrations just written."""
    if not playbooks_active():
        return []
    written = TierMigration.objects.filter(
        account_id__in=account_ids, occurred_at=occurred_at, txid=txid
    )
    return runs_start_for_migrations(migrations=list(written), now=occurred_at)


def runs_start_for_migrations(*, migrations, now=None) -> list[PlaybookRun]:
    """Supersede the runs the migrated accounts left behind and start the matching playbooks.

    Called by the segment recompute in its transaction, with the migrations it just wrote and
    the account rows locked. An account re-entering a cell within a playbook's cool-down of
    that playbook's last run resumes that run (if it was superseded) instead of starting one.
    """
    migrations = [m for m in migrations if m.to_segment or m.from_segment]
    if not migrations:
        return []
    now = now or timezone.now()
    playbooks = list(Playbook.objects.filter(is_active=True).prefetch_related("steps"))
    accounts = Account.objects.in_bulk([m.account_id for m in migrations])
    active: dict[int, list[PlaybookRun]] = {}
    for run in PlaybookRun.objects.filter(
        account_id__in=accounts, status=PlaybookRun.Status.ACTIVE
    ).select_related("playbook"):
        active.setdefault(run.account_id, []).append(run)
    longest = max((p.cooldown_days for p in playbooks), default=0)
    recent = {}
    for run in PlaybookRun.objects.filter(
        account_id__in=accounts, started_at__gt=now - timedelta(days=longest)
    ).order_by("started_at"):
        recent[(run.playbook_id, run.account_id)] = run  # the latest wins

    superseded, resumed, started = [], [], []
    for migration in migrations:
        account = accounts[migration.account_id]
        cell = migration.to_segment
        for run in active.get(account.pk, []):
            if cell not in run.playbook.cells:
                run.status, run.ended_at = PlaybookRun.Status.SUPERSEDED, now
                superseded.append(run)
        still = {run.playbook_id for run in active.get(account.pk, []) if run not in superseded}
        for playbook in playbooks:
            if playbook.pk in still or not playbook_matches(playbook, account, cell):
                continue
            last = recent.get((playbook.pk, account.pk))
            if last is not None and last.started_at > now - timedelta(days=playbook.cooldown_days):
                if last.status == PlaybookRun.Status.SUPERSEDED and last not in superseded:
                    last.status, last.ended_at = PlaybookRun.Status.ACTIVE, None
                    resumed.append(last)
                continue
            started.append(
                PlaybookRun(
                    organization_id=account.organization_id,
                    playbook=playbook,
                    account=account,
                    segment=cell,
                    trigger=PlaybookRun.Trigger.MIGRATION,
                    migration_id=migration.pk,
                    started_at=now,
                )
            )
    PlaybookRun.objects.bulk_update(superseded + resumed, ["status", "ended_at", "updated_at"])
    PlaybookRun.objects.bulk_create(started, batch_size=1000)
    steps = {p.pk: list(p.steps.all()) for p in playbooks}
    PlaybookTask.objects.bulk_create(
        (
            task
            for run in started
            for task in _tasks_build(
                run, steps[run.playbook_id], accounts[run.account_id].owner_csm_id
            )
        ),
        batch_size=2000,
    )
    return started


@transaction.atomic
def run_start(*, playbook: Playbook, account: Account, by: User | None = None) -> PlaybookRun:
    """Start a playbook by hand. Refused while a run of it is active for the account."""
    if PlaybookRun.objects.filter(
        playbook=playbook, account=account, status=PlaybookRun.Status.ACTIVE
    ).exists():
        raise ValidationError(
            {
                "playbook": ValidationError(
                    f"“{playbook}” is already running for {account}.", code="conflict"
                )
            }
        )
    run = PlaybookRun.objects.create(
        organization=account.organization,
        playbook=playbook,
        account=account,
        segment=account.segment,
        trigger=PlaybookRun.Trigger.MANUAL,
        started_by=by,
        started_at=timezone.now(),
    )
    PlaybookTask.objects.bulk_create(_tasks_build(run, playbook.steps.all(), account.owner_csm_id))
    return run


def can_work_task(membership: Membership | None, task: PlaybookTask) -> bool:
    """Managers work every task; a CSM the tasks assigned to them; viewers none.

    `membership` None stands for an API key: an integration mirrors every task.
    """
    if membership is None:
        return True
    return membership.can_manage or (
        membership.can_write and task.assignee_id == membership.user_id
    )


@transaction.atomic
def task_close(
    *,
    task: PlaybookTask,
    status: str,
    note: str = "",
    by: User | None = None,
    via: str = "",
    membership: Membership | None = None,
) -> PlaybookTask:
    """Mark a task done or skipped (a skip needs a note), or reopen it; completes the run."""
    if not can_work_task(membership, task):
        raise PermissionDenied("Only the task's assignee or a manager can work this task.")
    task = PlaybookTask.objects.select_for_update().get(pk=task.pk)
    run = PlaybookRun.objects.select_for_update().get(pk=task.run_id)
    if status not in PlaybookTask.Status.values:
        raise ValidationError({"status": f"“{status}” is not one of open, done, skipped."})
    if status == PlaybookTask.Status.SKIPPED and not note.strip():
        raise ValidationError({"note": "Say why the task is skipped."})
    if run.status == PlaybookRun.Status.SUPERSEDED and status != task.status:
        raise ValidationError(
            {"status": "The account has left the cell: this run is superseded and closed."}
        )
    task.status = status
    task.note = note.strip() or task.note
    if status == PlaybookTask.Status.OPEN:
        task.completed_by, task.completed_via, task.completed_at = None, "", None
    elif task.completed_at is None or task.completed_by != by:
        task.completed_by, task.completed_via, task.completed_at = by, via, timezone.now()
    task.save()
    open_left = run.tasks.filter(status=PlaybookTask.Status.OPEN).exists()
    if run.status == PlaybookRun.Status.ACTIVE and not open_left:
        run.status, run.ended_at = PlaybookRun.Status.COMPLETED, timezone.now()
        run.save(update_fields=["status", "ended_at", "updated_at"])
    elif run.status == PlaybookRun.Status.COMPLETED and open_left:
        run.status, run.ended_at = PlaybookRun.Status.ACTIVE, None
        run.save(update_fields=["status", "ended_at", "updated_at"])
    return task


@transaction.atomic
def tasks_close_many(
    *, tasks: list[PlaybookTask], status: str, note: str, by: User, membership: Membership
) -> int:
    """task_close for each task, with one note for all; all or none (the first refusal is
    raised, naming its task, and nothing is closed)."""
    for task in tasks:
        try:
            task_close(
                task=task, status=status, note=note, by=by, via="browser", membership=membership
            )
        except (ValidationError, PermissionDenied) as error:
            message = error.messages[0] if isinstance(error, ValidationError) else str(error)
            raise ValidationError(f"“{task.title}” on {task.account.name}: {message}") from None
    return len(tasks)


@transaction.atomic
def tasks_reassign(*, tasks: list[PlaybookTask], assignee: User | None) -> int:
    """Hand open tasks to one member (a manager's move); finished tasks keep who did them."""
    ids = [task.pk for task in tasks if task.is_open]
    return PlaybookTask.objects.filter(pk__in=ids).update(
        assignee=assignee, updated_at=timezone.now()
    )


def tasks_hand_off(*, organization, user: User) -> int:
    """A person leaving the organization hands their open tasks to a manager (the first by
    email; an owner if there is none), who can pass them on from the inbox."""
    heir = (
        Membership.objects.filter(role__in=[Role.MANAGER, Role.OWNER])
        .exclude(user=user)
        .order_by(Case(When(role=Role.MANAGER, then=0), default=1), "user__email")
        .select_related("user")
        .first()
    )
    tasks = list(PlaybookTask.objects.filter(open_tasks(), assignee=user))
    return tasks_reassign(tasks=tasks, assignee=heir.user if heir else None)


def open_tasks() -> "Q":
    """Open tasks of runs still in play: what belongs in an inbox."""
    return Q(status=PlaybookTask.Status.OPEN, run__status=PlaybookRun.Status.ACTIVE)


def tasks_mark_overdue(*, today: date | None = None) -> int:
    """Stamp open tasks that passed their due date. Idempotent: a stamp is never moved."""
    today = today or timezone.localdate()
    return PlaybookTask.objects.filter(
        open_tasks(), due_on__lt=today, overdue_since__isnull=True
    ).update(overdue_since=today, updated_at=timezone.now())


def tasks_follow_csm(*, moves: list[tuple[int, int | None, int | None]]) -> dict[int, str]:
    """accounts.hooks.csm_changed: each account's open CSM tasks held by its old CSM (or by no
    one) go to its new CSM. Manager steps, and tasks someone else was given, stay put. One
    UPDATE per (old, new) pair, so a bulk reassignment of thousands stays a few statements.
    Returns, per account whose tasks moved, what the timeline says of it."""
    pairs: dict[tuple[int | None, int | None], list[int]] = {}
    for account_id, old, new in moves:
        pairs.setdefault((old, new), []).append(account_id)
    counts: dict[int, int] = {}
    for (old, new), account_ids in pairs.items():
        tasks = PlaybookTask.objects.filter(
            account_id__in=account_ids,
            status=PlaybookTask.Status.OPEN,
            owner_role=OwnerRole.CSM,
            assignee_id=old,
        )
        for account_id in tasks.values_list("account_id", flat=True):
            counts[account_id] = counts.get(account_id, 0) + 1
        tasks.update(assignee_id=new, updated_at=timezone.now())
    return {
        account_id: f"{n} open task{'s' if n != 1 else ''} moved with it."
        for account_id, n in counts.items()
    }
