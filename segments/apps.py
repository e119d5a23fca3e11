from django.apps import AppConfig

from accounts.hooks import account_deleting, cell_names, quadrant_cells, timeline_entries
from accounts.panels import panel_register
from core.derivation import provider_register
from tenancy.hooks import organization_created


class SegmentsConfig(AppConfig):
    name = "segments"

    def ready(self):
        provider_register("segments.provider.Cell")
        organization_created.register("segments.services.grid_create")
        panel_register(
            template="segments/_account_panel.html",
            context="segments.panels.segment_panel",
            position=10,
        )
        cell_names.register("segments.selectors.cell_names")
        timeline_entries.register("segments.timeline.entries")
        quadrant_cells.register("segments.selectors.quadrant_cells")
        account_deleting.register("segments.services.migrations_keep")
