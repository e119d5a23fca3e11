"""The active tenant, held twice: in django-scopes for the ORM and in a PostgreSQL setting for RLS.

Every way into tenant data (a request, an API key, a Celery task, a management command)
goes through `tenant_context`. It opens a transaction so that the PostgreSQL setting is
transaction-local (`set_config(..., true)` is `SET LOCAL`) and cannot leak to the next
user of a pooled connection.
"""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from uuid import UUID

from django.db import connection, transaction
from django_scopes import get_scope, scope

TENANT_SETTING = "app.tenant_id"
USER_SETTING = "app.user_id"
API_KEY_PREFIX_SETTING = "app.api_key_prefix"
ORGANIZATION_SLUG_SETTING = "app.organization_slug"
ORGANIZATION_LIST_SETTING = "app.list_organizations"


def _get(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [name])
        return cursor.fetchone()[0] or ""


def _set(name: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


@contextmanager
def db_setting(name: str, value: object) -> Iterator[None]:
    """Set a transaction-local PostgreSQL setting for the block, restoring the outer value."""
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield
            return
        previous = _get(name)
        _set(name, "" if value is None else str(value))
        yield
        # On an exception the atomic block rolls back, which undoes set_config by itself.
        _set(name, previous)


@contextmanager
def tenant_context(organization_id: UUID | str) -> Iterator[None]:
    """Run the block as the given organization, in the ORM and in PostgreSQL."""
    if not organization_id:
        raise ValueError("tenant_context needs an organization id")
    with db_setting(TENANT_SETTING, organization_id), scope(organization=organization_id):
        yield


def user_context(user_id: int) -> AbstractContextManager[None]:
    """Let the user's own memberships and organizations be read before a tenant is chosen."""
    return db_setting(USER_SETTING, user_id)


def api_key_lookup_context(prefix: str) -> AbstractContextManager[None]:
    """Let exactly one API key row, by its public prefix, be read before a tenant is known."""
    return db_setting(API_KEY_PREFIX_SETTING, prefix)


def organization_lookup_context(slug: str) -> AbstractContextManager[None]:
    """Let one organization be read by its slug, as operators' commands name it."""
    return db_setting(ORGANIZATION_SLUG_SETTING, slug)


def organization_list_context() -> AbstractContextManager[None]:
    """Let the periodic-task dispatcher read organization ids (and nothing of their data)."""
    return db_setting(ORGANIZATION_LIST_SETTING, "on")


def current_organization_id():
    """The active tenant's id; raises outside tenant_context."""
    organization_id = get_scope().get("organization")
    if not organization_id:
        raise RuntimeError("No tenant is active.")
    return organization_id
