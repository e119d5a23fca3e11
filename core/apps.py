from django.apps import AppConfig
from django.db.backends.signals import connection_created

from .postgres import fast_timestamps


class CoreConfig(AppConfig):
    """The library layer as an app: what hooks into Django itself."""

    name = "core"

    def ready(self):
        connection_created.connect(fast_timestamps, dispatch_uid="core.fast_timestamps")
