from django.apps import AppConfig

from accounts.hooks import import_mappings, timeline_entries
from accounts.panels import panel_register


class OutcomesConfig(AppConfig):
    name = "outcomes"

    def ready(self):
        timeline_entries.register("outcomes.timeline.entries")
        import_mappings.register("outcomes.importing.outcomes_mapping")
        panel_register(
            template="outcomes/_account_panel.html",
            context="outcomes.panels.outcomes_panel",
            position=45,
        )
