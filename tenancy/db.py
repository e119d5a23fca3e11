"""The two database roles: the owner runs migrations, the application role runs everything else."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connections

from core.audit import audit_models


@contextmanager
def as_owner(alias: str = "default") -> Iterator[None]:
    """Reconnect as the owner role (DATABASE_OWNER_URL) for the block, if one is configured."""
    owner = settings.DATABASE_OWNER
    connection = connections[alias]
    if not owner or connection.vendor != "postgresql":
        yield
        return
    saved = {key: connection.settings_dict.get(key) for key in ("USER", "PASSWORD")}
    connection.close()
    connection.settings_dict.update(USER=owner["USER"], PASSWORD=owner.get("PASSWORD", ""))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def grant_app_role(alias: str = "default") -> None:
    """Give the application role row access (never ownership) to every table and sequence."""
    connection = connections[alias]
    role = settings.APP_DATABASE_ROLE
    if connection.vendor != "postgresql" or not role or role == connection.settings_dict["USER"]:
        return
    quote = connection.ops.quote_name
    quoted = quote(role)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
        )
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        for table in (model._meta.db_table for model in audit_models()):
            # The audit trail is append-only for the app: the database refuses it any change
            # or removal of an event; only the owner role prunes (audit.tasks.audit_prune).
            cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {quote(table)} FROM {quoted}")
