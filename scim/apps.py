from django.apps import AppConfig


class ScimConfig(AppConfig):
    """SCIM 2.0 provisioning (RFC 7643/7644) at /scim/v2/: an identity provider creates,
    updates and deactivates the organization's people and groups."""

    name = "scim"
    default_auto_field = "django.db.models.BigAutoField"
