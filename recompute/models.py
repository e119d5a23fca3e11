"""The transactional outbox of recomputes: requests, and the parts of tenant-wide runs."""

from django.db import models

from core.derivation import Cause, CauseKind
from tenancy.models import TenantModel


class RecomputeRequest(TenantModel):
    """A request to recompute some accounts (or all of the tenant's), written in the same
    transaction as the change that needs it, so a committed submission always has its
    recompute on record, whether or not the broker was reachable. A drain
    (recompute.tasks.drain) takes the rows with SELECT … FOR UPDATE SKIP LOCKED and deletes
    them in the transaction that recomputes: a row disappears only with its recompute
    committed."""

    account_ids = models.JSONField(null=True, blank=True, help_text="None: every account.")
    cause = models.CharField(max_length=20, blank=True, choices=CauseKind.choices)
    cause_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"recompute {self.account_ids or 'all'} ({self.cause or 'manual'})"

    @property
    def reason(self) -> Cause:
        return Cause.of(self.cause, self.cause_id)


class RecomputePart(TenantModel):
    """One part of a tenant-wide recompute: the accounts with ids first_id…last_id, taken by
    its own task (recompute.tasks.recompute_part), so that every worker process takes a share
    of a big tenant and no task nears the time limit. Deleted when its recompute commits."""

    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    cause = models.CharField(max_length=20, blank=True, choices=CauseKind.choices)
    cause_id = models.BigIntegerField(null=True, blank=True)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["first_id"]

    def __str__(self) -> str:
        return f"recompute {self.first_id}…{self.last_id} ({self.cause or 'manual'})"

    @property
    def reason(self) -> Cause:
        return Cause.of(self.cause, self.cause_id)


class RecomputePartProvider(TenantModel):
    """Which providers (core.derivation.Provider.key) a part must redo: those the causes of
    the requests it was made from can have changed."""

    part = models.ForeignKey(RecomputePart, on_delete=models.CASCADE, related_name="providers")
    provider = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["part", "provider"], name="part_provider_once")
        ]

    def __str__(self) -> str:
        return f"{self.part}: {self.provider}"
