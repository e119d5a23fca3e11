from django.apps import AppConfig

from accounts.hooks import export_facts, import_mappings, timeline_entries
from accounts.panels import panel_register
from core.derivation import provider_register
from tenancy.hooks import organization_defaults


class MaturityConfig(AppConfig):
    name = "maturity"

    def ready(self):
        provider_register("maturity.provider.CMI")
        organization_defaults.register("maturity.services.framework_defaults_install")
        export_facts.register("maturity.selectors.last_assessed")
        timeline_entries.register("maturity.timeline.entries")
        import_mappings.register("maturity.history.assessments_mapping")
        panel_register(
            template="maturity/_account_panel.html",
            context="maturity.panels.maturity_panel",
            position=40,
        )
