from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from core.audit import API_KEY, USER, acting

from .context import api_key_lookup_context, tenant_context, user_context
from .models import Membership, OrganizationAPIKey

SESSION_KEY = "organization_id"
LAST_USED_EVERY = timedelta(minutes=1)
API_KEY_SCHEME = "Api-Key "


class TenantMiddleware:
    """Resolve the organization of each request and run the rest of it inside that tenant.

    API requests name their organization by key (`Authorization: Api-Key <key>`); browser
    requests use the organization chosen in the session among the user's memberships.
    Anything else runs with no tenant, where tenant queries raise and RLS shows no rows.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = None
        request.membership = None
        request.memberships = []
        request.api_key = None
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith(API_KEY_SCHEME):
            return self._with_api_key(request, header[len(API_KEY_SCHEME) :].strip())
        if request.user.is_authenticated:
            return self._with_session(request)
        return self.get_response(request)

    def _with_api_key(self, request, key):
        prefix = key.partition(".")[0]
        with api_key_lookup_context(prefix), scopes_disabled():
            try:
                api_key = OrganizationAPIKey.objects.get_from_key(key)
            except OrganizationAPIKey.DoesNotExist:
                api_key = None
        if api_key is None or api_key.has_expired:
            # DRF's ApiKeyAuthentication turns this into a 401.
            return self.get_response(request)
        with tenant_context(api_key.organization_id):
            now = timezone.now()
            # Written at most once a minute: the UPDATE locks the key's row until the request
            # commits, so a CRM sending every call with one key had its requests served one at
            # a time (bench/latency.py found POSTs queueing for seconds).
            if api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_EVERY:
                OrganizationAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            request.api_key = api_key
            request.organization = api_key.organization
            with acting(API_KEY, api_key.prefix, api_key.name):
                return self.get_response(request)

    def _with_session(self, request):
        with user_context(request.user.pk):
            with scopes_disabled():
                memberships = list(
                    Membership.objects.filter(user=request.user).select_related("organization")
                )
            if not memberships:
                return self.get_response(request)
            chosen = request.session.get(SESSION_KEY)
            membership = next(
                (m for m in memberships if str(m.organization_id) == chosen), memberships[0]
            )
            request.memberships = memberships
            request.membership = membership
            request.organization = membership.organization
            with (
                tenant_context(membership.organization_id),
                acting(USER, request.user.pk, request.user.email),
            ):
                return self.get_response(request)
