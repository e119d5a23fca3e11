"""An organization's OpenID Connect provider as a sign-in needs it: the settings its owner
saved, completed by the provider's discovery document."""

import contextvars
from dataclasses import dataclass

import requests
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation

from tenancy.context import organization_lookup_context, tenant_context
from tenancy.models import Organization
from tenancy.services import identity_settings

DISCOVERY_SECONDS = 3600
TIMEOUT_SECONDS = 10


class NotConfigured(Exception):
    """The organization has no provider, or its provider cannot be reached."""


@dataclass(frozen=True)
class Provider:
    organization_id: str
    organization_slug: str
    issuer: str
    client_id: str
    client_secret: str
    domains: tuple[str, ...]
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


def _discovery(issuer: str) -> dict:
    """The provider's `.well-known/openid-configuration`, kept an hour."""
    key = f"sso:discovery:{issuer}"
    document = cache.get(key)
    if document is None:
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise NotConfigured(f"The identity provider could not be reached: {error}") from error
        if document.get("issuer") != issuer:
            raise NotConfigured("The provider's discovery document names another issuer.")
        cache.set(key, document, DISCOVERY_SECONDS)
    return document


def provider_of(slug: str) -> Provider:
    """The provider of the organization with this slug; NotConfigured if it has none."""
    with organization_lookup_context(slug):
        organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise NotConfigured("No such organization.")
    with tenant_context(organization.pk):
        settings_ = identity_settings()
    if not settings_.sso_configured:
        raise NotConfigured(f"{organization.name} has not set up single sign-on.")
    document = _discovery(settings_.oidc_issuer)
    return Provider(
        organization_id=str(organization.pk),
        organization_slug=organization.slug,
        issuer=settings_.oidc_issuer,
        client_id=settings_.oidc_client_id,
        client_secret=settings_.oidc_client_secret,
        domains=tuple(settings_.domains()),
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        userinfo_endpoint=document["userinfo_endpoint"],
        jwks_uri=document["jwks_uri"],
    )


# The provider of the sign-in being completed: the callback sets it for the backend, which
# Django's authenticate() builds with no arguments.
current_provider: contextvars.ContextVar[Provider | None] = contextvars.ContextVar(
    "sso_provider", default=None
)


def provider_current() -> Provider:
    provider = current_provider.get()
    if provider is None:
        raise SuspiciousOperation("No single sign-on is under way.")
    return provider
