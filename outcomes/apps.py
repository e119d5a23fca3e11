from django.apps import AppConfig

from accounts.panels import panel_register


class OutcomesConfig(AppConfig):
    name = "outcomes"

    def ready(self):
        panel_register(
            template="outcomes/_account_panel.html",
            context="outcomes.panels.outcomes_panel",
            position=45,
        )
