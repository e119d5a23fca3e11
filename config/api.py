from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Stable pages under concurrent writes: a CRM paging through never skips or repeats."""

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class TenantQuerysetMixin:
    """Base of every tenant API view (PostHog's pattern): subclasses write `safely_get_queryset`;
    scoping comes from the tenant context, and schema generation gets an empty queryset."""

    queryset_model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset_model.objects.none()
        return self.safely_get_queryset()

    def safely_get_queryset(self):
        raise NotImplementedError


ERROR_RESPONSES = {
    "400": "Invalid input: messages per field (per item for bulk requests).",
    "401": "No API key, or a revoked, expired or unknown one.",
    "403": "Signed in, but the role does not allow this.",
    "404": "Not found, or belongs to another organization.",
    "415": "The body is not JSON (send Content-Type: application/json).",
    "429": "Too many requests for this key; see the Retry-After header.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the errors every operation can return."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, description in ERROR_RESPONSES.items():
                operation["responses"].setdefault(status, {"description": description})
    return result


def exception_handler(exc, context):
    """DRF's handler, plus: a value PostgreSQL cannot store or compare is the client's 400."""
    from django.db import DataError
    from rest_framework import exceptions
    from rest_framework.views import exception_handler as drf_handler

    if isinstance(exc, DataError):
        exc = exceptions.ValidationError(
            {"non_field_errors": [f"A value cannot be stored or searched: {exc}".strip()[:300]]}
        )
    return drf_handler(exc, context)
