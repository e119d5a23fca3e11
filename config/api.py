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
