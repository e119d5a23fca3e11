from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.audit import audited
from tenancy.models import (
    TenantModel,
    account_keyed_with_organization,
    organization_keyed_with_account,
)


@audited(fields=["organization", "name", "description", "is_active"])
class Scorecard(TenantModel):
    """How the Customer Health Score is computed: measure groups, measures, levels.

    One scorecard per organization is active; saving it changes every account's score.
    """

    name = models.CharField(max_length=120)
    template = models.CharField(max_length=40, blank=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(is_active=True), name="one_active_card"
            )
        ]

    def __str__(self):
        return self.name


@audited(fields=["organization", "scorecard", "key", "name", "weight", "position"])
class MeasureGroup(TenantModel):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="groups")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    weight = models.DecimalField(max_digits=5, decimal_places=2, help_text="Percent of the score.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["scorecard", "position", "id"]

    def __str__(self):
        return self.name


@audited(
    fields=[
        "organization",
        "group",
        "key",
        "name",
        "metric",
        "weight",
        "rule",
        "params",
        "stale_after_days",
        "manual",
        "position",
    ]
)
class Measure(TenantModel):
    class Rule(models.TextChoices):
        BANDS = "bands", "Numeric bands"
        LINEAR = "linear", "Linear between two bounds"
        CATEGORICAL = "categorical", "Categorical map"
        RECENCY = "recency", "Recency of the latest observation"

    group = models.ForeignKey(MeasureGroup, on_delete=models.CASCADE, related_name="measures")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    metric = models.SlugField(max_length=60, help_text="The metric key this measure reads.")
    weight = models.DecimalField(max_digits=5, decimal_places=2, help_text="Percent of its group.")
    rule = models.CharField(max_length=12, choices=Rule.choices)
    params = models.JSONField(help_text="The rule's parameters; see the scorecard page.")
    stale_after_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Older values are ignored. Empty: never stale."
    )
    manual = models.BooleanField(default=False, help_text="Entered by hand by a CSM.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["group__position", "position", "id"]

    def __str__(self):
        return self.name


@audited(fields=["organization", "scorecard", "name", "lower", "colour"])
class HealthLevel(TenantModel):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="levels")
    name = models.CharField(max_length=40)
    lower = models.DecimalField(max_digits=5, decimal_places=2, help_text="From this score up.")
    colour = models.CharField(max_length=7, default="#8892a6")

    class Meta:
        ordering = ["scorecard", "lower"]

    def __str__(self):
        return self.name


class Observed:
    """A metric's value: a number, or for a categorical metric a text."""

    metric: str
    number: float | None
    text: str
    observed_at: datetime

    def __str__(self):
        return f"{self.metric}={self.value} at {self.observed_at:%Y-%m-%d}"

    @property
    def value(self):
        return self.text if self.number is None else self.number


class MetricValue(Observed, TenantModel):
    """One observation of one metric for one account. Never edited: newer values supersede."""

    class Source(models.TextChoices):
        API = "api", "API"
        CSV = "csv", "CSV upload"
        MANUAL = "manual", "Entered by a CSM"

    account = models.ForeignKey(  # indexed first in Meta.indexes
        "accounts.Account", on_delete=models.CASCADE, related_name="metric_values", db_index=False
    )
    metric = models.SlugField(max_length=60, db_index=False)  # indexed after the account
    number = models.FloatField(null=True, blank=True)
    text = models.CharField(max_length=120, blank=True)
    observed_at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        indexes = [
            # An account's history per metric, newest first; its latest values as they stood
            # at a past moment (MetricLatest holds them as they stand).
            models.Index(fields=["account", "metric", "-observed_at", "-id"]),
        ]


class MetricLatest(Observed, TenantModel):
    """The latest value of each metric of each account, copied from its MetricValue.

    What a recompute reads, one row per (account, metric) whatever the history: reading the
    latest of 30 daily values per metric from MetricValue took 8× as long as of one
    (bench/history.py). The database keeps it: a trigger on every insert into MetricValue
    (migration 0008), so no write path, the ORM's or raw SQL, can leave it behind; an edit
    or a deletion of values reads the latest afresh. On SQLite, altering a column of
    MetricValue remakes its table without the triggers: such a migration must recreate them
    (tests/health/test_latest.py migrates SQLite from scratch and would fail).
    """

    pk = models.CompositePrimaryKey("account", "metric")
    # Indexed first by the primary key.
    account = account_keyed_with_organization("latest_metrics")
    metric = models.SlugField(max_length=60, db_index=False)  # indexed after the account
    # The value copied. No key: it would check every row the trigger writes, and a value
    # goes only with its account, whose deletion removes this row too.
    metric_value = models.ForeignKey(
        MetricValue,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    number = models.FloatField(null=True)
    text = models.CharField(max_length=120, blank=True)
    observed_at = models.DateTimeField()
    organization = organization_keyed_with_account()

    class Meta:
        indexes = [
            # One metric's latest value across the tenant's accounts (dashboard upsell rate).
            models.Index(fields=["metric", "account"], name="latest_by_metric"),
        ]


@audited(
    fields=["organization", "account", "score", "reason", "expires_at", "created_by", "ended_at"]
)
class HealthOverride(TenantModel):
    """A manager's judgement that replaces the computed score until it expires. Kept for audit."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="health_overrides"
    )
    score = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    reason = models.TextField()
    expires_at = models.DateTimeField()
    # None when an API key made it (or its author has left).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Withdrawn early.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.score:.0f} for {self.account} until {self.expires_at:%Y-%m-%d}"


class HealthSnapshot(TenantModel):
    """The account's score as it was: written when it changes, and daily."""

    # A recompute writes a snapshot per account: indexed first in Meta.indexes.
    account = account_keyed_with_organization("health_snapshots")
    score = models.FloatField(null=True)
    level = models.CharField(max_length=40, blank=True)
    completeness = models.FloatField()
    stale = models.BooleanField(default=False)
    overridden = models.BooleanField(default=False)
    taken_at = models.DateTimeField()
    organization = organization_keyed_with_account()

    class Meta:
        ordering = ["-taken_at"]
        indexes = [
            models.Index(fields=["account", "-taken_at"]),
            models.Index(fields=["organization", "taken_at"]),  # the tenant's day of snapshots
        ]
