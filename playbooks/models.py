from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.audit import audited
from tenancy.models import TenantModel


class OwnerRole(models.TextChoices):
    CSM = "csm", "The account's CSM"
    MANAGER = "manager", "A manager"


@audited(
    fields=[
        "organization",
        "key",
        "name",
        "purpose",
        "cells",
        "tiers",
        "isic_codes",
        "size_bands",
        "is_active",
        "cooldown_days",
    ]
)
class Playbook(TenantModel):
    """What to do with accounts in some grid cells: ordered steps, started by migrations.

    Targeting: every account entering one of `cells` qualifies; `tiers`, `isic_codes` and
    `size_bands` narrow it when not empty. Lists rather than relations: they name values of
    the account (cell keys, tier names, ISIC classes), which exist independently of playbooks.
    """

    key = models.SlugField(max_length=60, blank=True, help_text="Set on the shipped defaults.")
    name = models.CharField(max_length=120)
    purpose = models.TextField(blank=True)
    cells = models.JSONField(default=list)
    tiers = models.JSONField(default=list, blank=True)
    isic_codes = models.JSONField(default=list, blank=True)
    size_bands = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    cooldown_days = models.PositiveSmallIntegerField(
        "cool-down (days)",
        default=30,
        validators=[MaxValueValidator(365)],
        help_text="An account that re-enters a cell within this many days of a run's start "
        "does not start another run of this playbook.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


@audited(
    fields=[
        "organization",
        "playbook",
        "position",
        "title",
        "guidance",
        "due_offset_days",
        "owner_role",
    ]
)
class PlaybookStep(TenantModel):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    due_offset_days = models.PositiveSmallIntegerField(
        "due after (days)", default=7, validators=[MinValueValidator(0), MaxValueValidator(365)]
    )
    owner_role = models.CharField(max_length=10, choices=OwnerRole.choices, default=OwnerRole.CSM)

    class Meta:
        ordering = ["playbook", "position", "id"]

    def __str__(self):
        return self.title


class PlaybookRun(TenantModel):
    """One playbook applied to one account: its tasks, from start to completion or supersession."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        SUPERSEDED = "superseded", "Superseded"

    class Trigger(models.TextChoices):
        MIGRATION = "migration", "Migration into the cell"
        MANUAL = "manual", "Started by hand"

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="runs")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="playbook_runs"
    )
    segment = models.CharField("cell at start", max_length=40, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    migration = models.ForeignKey(
        "segments.TierMigration", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["account", "playbook", "-started_at"]),
            models.Index(fields=["organization", "id"]),  # the API's pages, newest first
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["playbook", "account"],
                condition=models.Q(status="active"),
                name="one_active_run_per_playbook_and_account",
            )
        ]

    def __str__(self):
        return f"{self.playbook} for {self.account}"


class PlaybookTask(TenantModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"

    run = models.ForeignKey(PlaybookRun, on_delete=models.CASCADE, related_name="tasks")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    owner_role = models.CharField(max_length=10, choices=OwnerRole.choices, default=OwnerRole.CSM)
    # The account's CSM for CSM steps; empty for manager steps (every manager sees them), and
    # for CSM steps of an account without a CSM (managers see those too, as unassigned).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    # Set by the daily job when an open task passes its due date.
    overdue_since = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_via = models.CharField(max_length=120, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["due_on", "run", "position", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"]),
            models.Index(fields=["organization", "id"]),  # the API's pages, newest first
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
