from datetime import timedelta
from typing import cast

from django.utils import timezone
from django_scopes import scopes_disabled

from core.audit import API_KEY, SCIM, USER, acting

from .context import api_key_lookup_context, tenant_context, user_context
from .models import KeyScope, Membership, OrganizationAPIKey, Role

SESSION_KEY = "organization_id"
LAST_USED_EVERY = timedelta(minutes=1)
API_KEY_SCHEME = "Api-Key "
BEARER_SCHEME = "Bearer "
SCIM_PREFIX = "/scim/"


SSO_SESSION_KEY = "sso_organizations"


def signed_in_well(request, membership: Membership) -> bool:
    """Whether this session may enter the membership's organization: one that requires
    single sign-on admits only sessions signed in through its provider, owners aside (their
    password is the way in when the provider is down)."""
    if not membership.organization.sso_required or membership.role == Role.OWNER:
        return True
    return str(membership.organization_id) in request.session.get(SSO_SESSION_KEY, [])


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
        request.scim_token = None
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith(API_KEY_SCHEME):
            return self._with_api_key(request, header[len(API_KEY_SCHEME) :].strip())
        if header.startswith(BEARER_SCHEME) and request.path_info.startswith(SCIM_PREFIX):
            return self._with_scim_token(request, header[len(BEARER_SCHEME) :].strip())
        if request.user.is_authenticated:
            return self._with_session(request)
        return self.get_response(request)

    @staticmethod
    def _key(key: str, scope: str) -> OrganizationAPIKey | None:
        """The live key of this scope that `key` is, or None."""
        prefix = key.partition(".")[0]
        with api_key_lookup_context(prefix), scopes_disabled():
            try:
                api_key = cast(OrganizationAPIKey, OrganizationAPIKey.objects.get_from_key(key))
            except OrganizationAPIKey.DoesNotExist:
                return None
        if api_key.has_expired or api_key.scope != scope:
            return None
        return api_key

    def _with_scim_token(self, request, key):
        token = self._key(key, KeyScope.SCIM)
        if token is None:  # scim.views answers 401 in SCIM's own error format
            return self.get_response(request)
        with tenant_context(token.organization_id), acting(SCIM, token.prefix, token.name):
            request.scim_token = token
            request.organization = token.organization
            return self.get_response(request)

    def _with_api_key(self, request, key):
        api_key = self._key(key, KeyScope.API)
        if api_key is None:
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
            memberships = [m for m in memberships if signed_in_well(request, m)]
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
