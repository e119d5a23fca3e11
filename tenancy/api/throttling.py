import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from tenancy.models import OrganizationAPIKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Per API key (or per signed-in user) request rate; 429 with Retry-After beyond it."""

    scope = "api"

    def allow_request(self, request, view):
        """Counted in the cache (Redis); with Redis down, requests pass uncounted rather than
        fail: a submission must still be accepted while the broker's server is away."""
        try:
            return super().allow_request(request, view)
        except Exception:
            logging.getLogger(__name__).warning("rate limit not counted: the cache is down")
            return True

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
