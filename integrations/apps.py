from django.apps import AppConfig

from core.events import event_emitted


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Webhooks"

    def ready(self):
        event_emitted.register("integrations.services.events_emit")
