from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from tenancy.models import OrganizationAPIKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Per API key (or per signed-in user) request rate; 429 with Retry-After beyond it."""

    scope = "api"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        if isinstance(request.auth, OrganizationAPIKey):
            ident = f"key:{request.auth.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
