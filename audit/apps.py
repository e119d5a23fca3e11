from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Reading the audit trail that core.audit records: the browser page, its CSV, the API,
    and the retention task."""

    name = "audit"
    default_auto_field = "django.db.models.BigAutoField"
