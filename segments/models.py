from django.db import models

from core.audit import audited
from tenancy.models import (
    TenantModel,
    account_keyed_with_organization,
    organization_keyed_with_account,
)


@audited(fields=["organization", "view"])
class Grid(TenantModel):
    """The tenant's CHS × CMI grid: how its cells are named and which view managers see."""

    class View(models.TextChoices):
        GRID_3X3 = "3x3", "3×3 (the deck's grid)"
        GRID_2X2 = "2x2", "2×2 (the Promapp view)"

    view = models.CharField(max_length=3, choices=View.choices, default=View.GRID_3X3)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="one_grid")]


@audited(fields=["organization", "grid", "layout", "key", "name", "action", "colour"])
class GridCell(TenantModel):
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="cells")
    layout = models.CharField(max_length=3, choices=Grid.View.choices)
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=60)
    action = models.CharField(max_length=200, blank=True)
    colour = models.CharField(max_length=7)

    class Meta:
        ordering = ["layout", "id"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "layout", "key"], name="cell_unique_key")
        ]

    def __str__(self):
        return self.name


class TierMigration(TenantModel):
    """An account moving from one cell to another, written once per real change.

    It outlives its account: deleting the account unlinks it (`account` becomes null) and
    links the account's tombstone instead (`deletion`, which keeps the id, CRM id and name),
    so the feed still serves it, marked deleted, and a CRM can reconcile.

    `txid` is the feed position of the write (tenancy.feed; it held the writing transaction's
    id until positions replaced it, and the old values stay below the new ones): the feed
    serves events in (txid, id) order and only below the positions writers of the tenant
    still hold, so a poller never misses one that commits late, and waits on no one else.
    """

    # A recompute writes a migration per account that moves: indexed first in Meta.indexes.
    account = account_keyed_with_organization("migrations", keep=True)
    deletion = models.ForeignKey(
        "accounts.AccountDeletion",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,  # read through the feed, never by tombstone
    )
    from_segment = models.CharField(max_length=40, blank=True)
    to_segment = models.CharField(max_length=40, blank=True)
    cause = models.CharField(max_length=20, blank=True)
    cause_id = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    txid = models.BigIntegerField(default=0)
    organization = organization_keyed_with_account()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # The feed reads one tenant's events in (txid, id) order.
            models.Index(fields=["organization", "txid", "id"]),
            models.Index(fields=["account", "-id"]),
            # The dashboard's flows: the tenant's moves over a period.
            models.Index(fields=["organization", "-occurred_at", "-id"]),
        ]
        constraints = [
            # Deleting an account hands its migrations to its tombstone in the same statement
            # (segments.services.migrations_keep); a deletion that skipped it fails here.
            models.CheckConstraint(
                condition=models.Q(account__isnull=False) | models.Q(deletion__isnull=False),
                name="migration_of_an_account_or_its_tombstone",
            )
        ]

    @property
    def account_ids(self) -> tuple[int, str | None]:
        """The account's id and CRM id, whether it still exists or was deleted."""
        if self.account is not None:
            return self.account.pk, self.account.external_id
        assert self.deletion is not None  # migration_of_an_account_or_its_tombstone
        return self.deletion.account_id, self.deletion.external_id

    def __str__(self):
        whose = self.account or self.deletion
        return f"{whose}: {self.from_segment or '—'} → {self.to_segment or '—'}"
