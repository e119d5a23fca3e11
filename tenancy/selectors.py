from .context import organization_lookup_context
from .models import Organization


def organization_get_by_slug(*, slug: str) -> Organization:
    """Raises Organization.DoesNotExist."""
    with organization_lookup_context(slug):
        return Organization.objects.get(slug=slug)
