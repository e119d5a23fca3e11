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

    `txid` is the feed position of the write (segments.feed; it held the writing transaction's
    id until positions replaced it, and the old values stay below the new ones): the feed
    serves events in (txid, id) order and only below the positions writers of the tenant
    still hold, so a poller never misses one that commits late, and waits on no one else.
    """

    # A recompute writes a migration per account that moves: indexed first in Meta.indexes.
    account = account_keyed_with_organization("migrations")
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

    def __str__(self):
        return f"{self.account}: {self.from_segment or '—'} → {self.to_segment or '—'}"
