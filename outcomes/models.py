"""What happened at each renewal, and the Score Lab's stored reports."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from core.audit import audited
from tenancy.models import TenantModel


@audited(
    fields=[
        "organization",
        "account",
        "kind",
        "occurred_on",
        "arr_before",
        "arr_after",
        "reason",
        "source",
        "created_by",
    ]
)
class Outcome(TenantModel):
    """One renewal's outcome: kept as history, never edited by a recompute."""

    class Kind(models.TextChoices):
        RENEWED = "renewed", "Renewed"
        EXPANDED = "expanded", "Expanded"
        CONTRACTED = "contracted", "Contracted"
        CHURNED = "churned", "Churned"

    class Source(models.TextChoices):
        API = "api", "API"
        IMPORT = "import", "CSV import"
        MANUAL = "manual", "Entered in the browser"
        DEMO = "demo", "Synthetic demo data"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="outcomes"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    occurred_on = models.DateField()
    arr_before = models.DecimalField(
        "ARR before", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    arr_after = models.DecimalField(
        "ARR after", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    reason = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["organization", "occurred_on"])]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.occurred_on:%Y-%m-%d}"


class BacktestReport(TenantModel):
    """A backtest's figures for one horizon and period, kept until its inputs change.

    `inputs` is the fingerprint of everything the figures read (outcomes, metric values,
    assessments, the scorecard and framework): a report whose fingerprint differs from the
    tenant's current one is out of date and is computed again.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Computing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    horizon_days = models.PositiveIntegerField()
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    # "since..until" (either end may be empty): the period as one key, since a unique
    # constraint over nullable dates is not one on SQLite.
    period = models.CharField(max_length=22, default="..")
    inputs = models.CharField(max_length=200)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    progress = models.FloatField(default=0.0)  # 0-1 while running
    figures = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "horizon_days", "period", "inputs"],
                name="backtest_report_once_per_inputs",
            )
        ]

    def __str__(self):
        return f"Backtest at {self.horizon_days} days ({self.get_status_display()})"
