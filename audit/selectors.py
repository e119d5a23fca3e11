"""The audit trail as people read it: the active organization's events across every audited
model, filtered, newest first, with the actor, the object and the changes made readable.

The events are django-pghistory's (`pghistory.models.Events`, a union of the event tables);
RLS keeps each table to the tenant and the filter on the event's own organization keeps the
ORM to it too.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Model, Q, QuerySet
from pghistory.models import Events

from core.audit import ACTOR_KINDS, SYSTEM, audit_models
from tenancy.context import current_organization_id

ACTIONS = {"insert": "Created", "update": "Changed", "delete": "Deleted"}
HIDDEN = {"organization", "organization_id"}  # the same on every event of a tenant
LABEL_FIELDS = ("name", "title", "email", "url", "key", "prefix")


def _label(model: type[Model]) -> str:
    return model._meta.label


def object_kinds() -> dict[str, str]:
    """Audited model label (accounts.Account) → its name for people (Account), by name."""
    kinds = {
        _label(m.pgh_tracked_model): str(m.pgh_tracked_model._meta.verbose_name).capitalize()
        for m in audit_models()
    }
    return dict(sorted(kinds.items(), key=lambda item: item[1]))


@dataclass(frozen=True)
class AuditFilter:
    """What the page, the CSV and the API filter by; every part optional."""

    actor: str = ""  # a kind: user, api_key, scim, task, system
    actor_id: str = ""  # a user id, an API key prefix, a task name
    object_type: str = ""  # an audited model's label
    object_id: str = ""
    action: str = ""  # insert, update, delete
    since: date | None = None
    until: date | None = None


def audit_events(filters: AuditFilter = AuditFilter()) -> QuerySet[Events]:
    """The active organization's events matching `filters`, newest first. None off
    PostgreSQL, where no trigger records them (and pghistory's union is PostgreSQL's SQL)."""
    if connection.vendor != "postgresql":
        return Events.objects.none()
    models = [
        m
        for m in audit_models()
        if not filters.object_type or _label(m.pgh_tracked_model) == filters.object_type
    ]
    if not models:
        return Events.objects.none()
    organization = str(current_organization_id())
    events = Events.objects.across(*models).filter(
        Q(pgh_data__organization_id=organization)
        | Q(pgh_obj_model="tenancy.Organization", pgh_obj_id=organization)
    )
    if filters.action:
        events = events.filter(pgh_label=filters.action)
    if filters.actor == SYSTEM:
        events = events.filter(pgh_context__isnull=True)
    elif filters.actor:
        events = events.filter(pgh_context__actor=filters.actor)
    if filters.actor_id:
        events = events.filter(pgh_context__actor_id=filters.actor_id)
    if filters.object_id:
        events = events.filter(pgh_obj_id=filters.object_id)
    if filters.since:  # days in the site's time zone, converted by the database
        events = events.filter(pgh_created_at__date__gte=filters.since)
    if filters.until:
        events = events.filter(pgh_created_at__date__lte=filters.until)
    return events.order_by("-pgh_created_at", "-pgh_id")


@dataclass(frozen=True)
class Change:
    field: str
    related: type[Model] | None  # where a foreign key's id points
    before: Any
    after: Any
    column: str = ""

    def shown(self, names: dict[tuple[type[Model], Any], str]) -> "Change":
        """The change with ids of related rows as their names (a person's email)."""
        if self.related is None:
            return self
        return replace(
            self,
            before=names.get((self.related, self.before), self.before),
            after=names.get((self.related, self.after), self.after),
        )


@dataclass(frozen=True)
class Entry:
    """One event as people read it."""

    id: str
    at: datetime
    action: str
    action_label: str
    object_type: str
    object_type_label: str
    object_id: str
    object_label: str
    actor: str
    actor_kind_label: str
    actor_label: str
    actor_id: str
    request_id: str
    changes: list[Change]
    data: dict[str, Any]


def _field_of(model: type[Model], column: str) -> tuple[str, type[Model] | None]:
    """A column's name for people, and the model its id points to when it is a foreign key."""
    for name in (column, column.removesuffix("_id")):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        related = field.related_model if field.many_to_one else None
        label = str(getattr(field, "verbose_name", name))
        return label, related if isinstance(related, type) else None
    return column, None


def entry_of(event: Events, kinds: dict[str, str]) -> Entry:
    model = apps.get_model(event.pgh_obj_model)
    data = {k: v for k, v in (event.pgh_data or {}).items() if k not in HIDDEN}
    if event.pgh_label == "update":
        pairs: Iterable[tuple[str, Any, Any]] = (
            (k, v[0], v[1]) for k, v in (event.pgh_diff or {}).items() if k not in HIDDEN
        )
    elif event.pgh_label == "delete":
        pairs = ((k, v, None) for k, v in data.items())
    else:
        pairs = ((k, None, v) for k, v in data.items() if v not in (None, "", [], {}))
    context = event.pgh_context or {}
    actor = context.get("actor") or SYSTEM
    label = context.get("actor_label") or ""
    return Entry(
        id=event.pgh_slug,
        at=event.pgh_created_at,
        action=event.pgh_label,
        action_label=ACTIONS.get(event.pgh_label, event.pgh_label),
        object_type=event.pgh_obj_model,
        object_type_label=kinds.get(event.pgh_obj_model, event.pgh_obj_model),
        object_id=str(event.pgh_obj_id or ""),
        object_label=next((str(data[f]) for f in LABEL_FIELDS if data.get(f)), ""),
        actor=actor,
        actor_kind_label=ACTOR_KINDS.get(actor, actor),
        actor_label=label or ACTOR_KINDS.get(actor, actor),
        actor_id=context.get("actor_id") or "",
        request_id=context.get("request_id") or "",
        changes=sorted(
            (Change(*_field_of(model, k), before, after, k) for k, before, after in pairs),
            key=lambda change: change.field,
        ),
        data=data,
    )


def entries(events: Iterable[Events]) -> list[Entry]:
    kinds = object_kinds()
    return [entry_of(event, kinds) for event in events]


def shown(listed: list[Entry]) -> list[Entry]:
    """Entries as the page shows them: a related row's id as its name, read once per model
    (a person by email; a row since deleted keeps its id)."""
    wanted: dict[type[Model], set[Any]] = {}
    for entry in listed:
        for change in entry.changes:
            if change.related is not None:
                ids = wanted.setdefault(change.related, set())
                ids.update(v for v in (change.before, change.after) if v is not None)
    names: dict[tuple[type[Model], Any], str] = {}
    for model, ids in wanted.items():
        for pk, row in model._default_manager.in_bulk(list(ids)).items():
            names[(model, pk)] = getattr(row, "email", "") or str(row)
    return [
        replace(entry, changes=[change.shown(names) for change in entry.changes])
        for entry in listed
    ]
