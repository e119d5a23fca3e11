"""Every organization has its grid from the moment it is created (segments.services.
grid_create, through tenancy.hooks.organization_created), so no page creates one on a GET.
This gives one to the organizations that never opened a page that used to."""

import json
from pathlib import Path

from django.db import migrations

from tenancy.rls import each_tenant

CELLS = Path(__file__).resolve().parent.parent / "grid_templates" / "cells.json"


def grids(apps, schema_editor):
    Grid = apps.get_model("segments", "Grid")
    GridCell = apps.get_model("segments", "GridCell")
    defaults = json.loads(CELLS.read_text())
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for tenant in each_tenant(connection):
            if tenant is None:  # SQLite: no tenant setting, every organization at once
                cursor.execute("SELECT id FROM tenancy_organization")
                organizations = [row[0] for row in cursor.fetchall()]
            else:
                organizations = [tenant]
            for organization in organizations:
                if Grid.objects.filter(organization_id=organization).exists():
                    continue
                grid = Grid.objects.create(organization_id=organization)
                GridCell.objects.bulk_create(
                    GridCell(organization_id=organization, grid=grid, layout=layout, **cell)
                    for layout, cells in defaults.items()
                    for cell in cells
                )


class Migration(migrations.Migration):
    dependencies = [("segments", "0010_delete_recomputerequest")]

    operations = [migrations.RunPython(grids, migrations.RunPython.noop)]
