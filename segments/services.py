from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account, AccountDeletion
from tenancy.models import Organization

from .cells import DEFAULT_CELLS
from .models import Grid, GridCell, TierMigration


@transaction.atomic
def grid_create(*, organization: Organization) -> Grid:
    """organization_created: the tenant's grid, with the deck's cells."""
    grid = Grid.objects.create(organization=organization)
    GridCell.objects.bulk_create(
        GridCell(organization=organization, grid=grid, layout=layout, **cell)
        for layout, cells in DEFAULT_CELLS.items()
        for cell in cells
    )
    return grid


@transaction.atomic
def grid_set_view(*, grid: Grid, view: str) -> Grid:
    if view not in Grid.View.values:
        raise ValidationError({"view": f"One of {', '.join(Grid.View.values)}."})
    grid.view = view
    grid.save(update_fields=["view"])
    return grid


@transaction.atomic
def cell_update(*, cell: GridCell, name: str, action: str, colour: str) -> GridCell:
    cell.name, cell.action, cell.colour = name.strip(), action.strip(), colour
    cell.full_clean()
    cell.save(update_fields=["name", "action", "colour"])
    return cell


def migrations_keep(*, account: Account, tombstone: AccountDeletion) -> int:
    """Keep a deleted account's tier migrations in the feed: unlinked from the account and
    linked to its tombstone (account_deleting). How many were kept."""
    return TierMigration.objects.filter(account=account).update(account=None, deletion=tombstone)
