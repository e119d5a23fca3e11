from django.apps import AppConfig

from accounts.hooks import import_mappings, timeline_entries
from accounts.panels import panel_register
from core.derivation import provider_register
from tenancy.hooks import organization_defaults


class HealthConfig(AppConfig):
    name = "health"

    def ready(self):
        timeline_entries.register("health.timeline.entries")
        import_mappings.register("health.importing.metrics_mapping")
        provider_register("health.provider.CHS")
        organization_defaults.register("health.services.scorecard_defaults_install")
        panel_register(
            template="health/_account_panel.html", context="health.panels.health_panel", position=30
        )
