import logging
import math
from typing import NamedTuple

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from tenancy.models import OrganizationAPIKey


class RateLimitState(NamedTuple):
    limit: int  # requests per window
    window: int  # seconds
    remaining: int
    reset: int  # seconds until a request of the window is forgotten


def rate_limit_headers(state: RateLimitState) -> dict[str, str]:
    """The IETF draft's `RateLimit-Policy` and `RateLimit` fields and the common X-RateLimit-*
    trio, for clients that read either."""
    return {
        "RateLimit-Policy": f'"api";q={state.limit};w={state.window}',
        "RateLimit": f'"api";r={state.remaining};t={state.reset}',
        "X-RateLimit-Limit": str(state.limit),
        "X-RateLimit-Remaining": str(state.remaining),
        "X-RateLimit-Reset": str(state.reset),
    }


class RateLimitHeadersMiddleware:
    """Adds the rate-limit fields to every response of a counted API request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, "rate_limit", None)
        if state is not None:
            for name, value in rate_limit_headers(state).items():
                response[name] = value
        return response


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Per API key (or per signed-in user) request rate; 429 with Retry-After beyond it."""

    scope = "api"

    def allow_request(self, request, view):
        """Counted in the cache (Redis); with Redis down, requests pass uncounted rather than
        fail: a submission must still be accepted while the broker's server is away."""
        try:
            allowed = super().allow_request(request, view)
        except Exception:
            logging.getLogger(__name__).warning("rate limit not counted: the cache is down")
            return True
        if getattr(self, "key", None) is not None and hasattr(self, "history"):  # counted
            remaining = max(0, self.num_requests - len(self.history)) if allowed else 0
            oldest = self.history[-1] if self.history else self.now
            reset = max(1, math.ceil(self.duration - (self.now - oldest)))
            request._request.rate_limit = RateLimitState(
                self.num_requests, self.duration, remaining, reset
            )
        return allowed

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
