import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from tenancy.models import Organization

from .models import Grid, GridCell

DEFAULTS = json.loads(
    (Path(__file__).resolve().parent / "grid_templates" / "cells.json").read_text()
)


@transaction.atomic
def grid_get_or_create(*, organization: Organization) -> Grid:
    """The tenant's grid, with the deck's cells the first time it is asked for."""
    grid = Grid.objects.filter().first()
    if grid is not None:
        return grid
    grid = Grid.objects.create(organization=organization)
    GridCell.objects.bulk_create(
        GridCell(organization=organization, grid=grid, layout=layout, **cell)
        for layout, cells in DEFAULTS.items()
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
