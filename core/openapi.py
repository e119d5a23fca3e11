"""The API schema's generator (DEFAULT_SCHEMA_CLASS): apart from core.api, which the REST
framework's settings import before drf-spectacular can be."""

import functools
import re

from drf_spectacular import openapi
from drf_spectacular.drainage import get_override

# What a generated client calls each standard action: (summary template, plural?).
ACTION_SUMMARIES = {
    "list": ("List {}", True),
    "retrieve": ("Get one {}", False),
    "create": ("Create {}", False),
    "update": ("Replace {}", False),
    "partial_update": ("Update part of {}", False),
    "destroy": ("Delete {}", False),
}


def _article(name: str) -> str:
    return "an" if name[:1].lower() in "aeiou" else "a"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, except that docstrings are never published: they are written for
    this code's readers ("Base of every tenant API view…" reached integrators). A description
    is what `extend_schema(description=…)` says; a standard action's summary is derived from
    its model ("List accounts", "Get one webhook subscription"), any other's is declared."""

    def get_description(self):
        return ""

    def get_summary(self):
        action = getattr(self.view, "action", None)
        model = getattr(self.view, "queryset_model", None)
        if action in ACTION_SUMMARIES and model is not None:
            template, plural = ACTION_SUMMARIES[action]
            name = str(model._meta.verbose_name_plural if plural else model._meta.verbose_name)
            return template.format(name if plural else f"{_article(name)} {name}")
        return None

    def _map_basic_serializer(self, serializer, direction):
        """A component's description is what `extend_schema_serializer` says, never the
        serializer's docstring."""
        schema = super()._map_basic_serializer(serializer, direction)
        if not get_override(serializer, "description"):
            schema.pop("description", None)
        return schema

    def _map_response_type_hint(self, method):
        """A method field's type, without its method's docstring as description."""
        schema = super()._map_response_type_hint(method)
        schema.pop("description", None)
        return schema


@functools.cache
def _operations_query_parameters() -> list[tuple[re.Pattern, dict[str, frozenset[str]]]]:
    """Each path of the served schema as a pattern, with each method's query parameters."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        found.append(
            (
                pattern,
                {
                    method.upper(): frozenset(
                        p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
                    )
                    for method, operation in operations.items()
                    if isinstance(operation, dict)
                },
            )
        )
    # A literal segment wins over a placeholder: /accounts/bulk/ is not /accounts/{id}/.
    return sorted(found, key=lambda entry: entry[0].pattern.count("[^/]+"))


def declared_query_parameters(path: str, method: str) -> frozenset[str] | None:
    """The query parameters the served schema declares for this call, or None when the schema
    has no such operation (no route, a method not allowed, the schema and docs pages)."""
    for pattern, methods in _operations_query_parameters():
        if pattern.match(path):
            return methods.get(method.upper())
    return None
