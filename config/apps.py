from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ConfigConfig(AppConfig):
    """The project package as an app: what hooks into Django itself."""

    name = "config"

    def ready(self):
        from .postgres import fast_timestamps

        connection_created.connect(fast_timestamps, dispatch_uid="config.fast_timestamps")
