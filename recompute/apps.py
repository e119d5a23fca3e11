from django.apps import AppConfig

from core.derivation import recompute_requested


class RecomputeConfig(AppConfig):
    name = "recompute"
    verbose_name = "Recompute outbox"

    def ready(self) -> None:
        recompute_requested.register("recompute.services.recompute_enqueue")
