"""The audit trail's two halves that every app uses: which models are recorded, and who acts.

Recording is django-pghistory's: PostgreSQL triggers copy each insert, update and delete of a
tracked model's listed fields into its event table (`<Model>Event`), bulk `update()` and raw
SQL included, so no write path can skip it. Secrets (hashes, signing keys) and derived
fields (scores the recompute writes) are left out of `fields`: an update that changes none
of the listed fields records nothing. Event tables keep the organization and sit under RLS
like every tenant table; the application role may only read and insert them (tenancy.db).

The actor is pghistory's context, kept on each event row (PGHISTORY_CONTEXT_FIELD is a JSON
field, not a shared table, so no row outside the tenant's tables holds tenant data): `actor`
(its kind: user, api_key, scim, task, system), `actor_id`, `actor_label` and `request_id`.
Off PostgreSQL (the embedded SQLite default) there are no triggers and nothing is recorded.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pghistory
from django.apps import apps
from django.db import connection

from core.problems import current_request_id

USER, API_KEY, SCIM, TASK, SYSTEM = "user", "api_key", "scim", "task", "system"
ACTOR_KINDS = {
    USER: "Person",
    API_KEY: "API key",
    SCIM: "SCIM token",
    TASK: "Background task",
    SYSTEM: "System",
}


def audited(fields: Sequence[str]):
    """Record every insert, update (of `fields`) and delete of the decorated model, in its
    `<Model>Event` table."""

    def decorate(model):
        return pghistory.track(
            pghistory.InsertEvent(),
            pghistory.UpdateEvent(),
            pghistory.DeleteEvent(),
            fields=list(fields),
            model_name=f"{model.__name__}Event",
            obj_field=pghistory.ObjForeignKey(related_name="audit_events"),
        )(model)

    return decorate


@contextmanager
def acting(kind: str, actor_id: Any = None, label: str = "") -> Iterator[None]:
    """Attribute the writes of the block to an actor. Nested blocks add to or override the
    outer one's metadata (an API key named inside a request's context)."""
    if connection.vendor != "postgresql":  # no triggers to read it (and pghistory's cursor
        yield  # wrapper is psycopg's alone)
        return
    metadata = {"actor": kind, "actor_id": str(actor_id or ""), "actor_label": label}
    if request_id := current_request_id.get():
        metadata["request_id"] = request_id
    with pghistory.context(**metadata):
        yield


def audit_models() -> list[Any]:
    """The event models of the audit trail (pghistory Event subclasses), one per audited
    model."""
    from pghistory.models import Event

    return [
        model
        for model in apps.get_models()
        if issubclass(model, Event) and not model._meta.abstract and model._meta.managed
    ]
