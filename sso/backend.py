"""mozilla-django-oidc's backend, for the organization whose sign-in is being completed:
its settings come from that organization's provider, and the ID token is checked in full
(signature by the provider's JWKS, issuer, audience, expiry, nonce), not only signed."""

import jwt
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from tenancy.models import User

from .provider import current_provider, provider_current


class Refused(SuspiciousOperation):
    """A sign-in refused, with the reason to show."""


class OrganizationOIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        """Django builds a backend for every request of a session it signed in (get_user),
        when no sign-in is under way: the provider's settings are read when one is."""
        self.UserModel = get_user_model()
        if current_provider.get() is not None:
            super().__init__(*args, **kwargs)

    def get_settings(self, attr, *args):  # type: ignore[override]
        provider = provider_current()
        per_organization = {
            "OIDC_OP_TOKEN_ENDPOINT": provider.token_endpoint,
            "OIDC_OP_USER_ENDPOINT": provider.userinfo_endpoint,
            "OIDC_OP_JWKS_ENDPOINT": provider.jwks_uri,
            "OIDC_RP_CLIENT_ID": provider.client_id,
            "OIDC_RP_CLIENT_SECRET": provider.client_secret,
        }
        if attr in per_organization:
            return per_organization[attr]
        return import_from_settings(attr, *args)

    def authenticate(self, request, **kwargs):
        if request is None or request.resolver_match is None:
            return None
        if request.resolver_match.view_name != "sso:callback":
            return None  # a password sign-in: not this backend's
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        provider = provider_current()
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise Refused("The provider signed the token with another algorithm.")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=provider.client_id,
                issuer=provider.issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise Refused("The provider's token has expired.") from error
        except jwt.InvalidAudienceError as error:
            raise Refused("The provider's token was issued to another application.") from error
        except jwt.InvalidIssuerError as error:
            raise Refused("The token comes from another provider.") from error
        except jwt.PyJWTError as error:
            raise Refused("The provider's token is not valid (its signature fails).") from error

    def verify_token(self, token, **kwargs):
        try:
            return super().verify_token(token, **kwargs)
        except Refused:
            raise
        except SuspiciousOperation as error:
            raise Refused(f"The provider's token is refused: {error}") from error

    def verify_claims(self, claims):
        """A verified email in one of the organization's domains; the reason is kept for the
        page, since the library turns a refusal here into a bare failure."""
        email = (claims.get("email") or "").lower()
        reason = None
        if not email or claims.get("email_verified") is False:
            reason = "The provider gave no verified email address."
        elif email.rpartition("@")[2] not in provider_current().domains:
            reason = f"{email} is not in a domain this organization signs in by SSO."
        if reason:
            self.request.sso_refusal = reason
            return False
        return True

    def filter_users_by_claims(self, claims):
        return User.objects.filter(email__iexact=claims["email"])

    def create_user(self, claims):
        user = User.objects.create_user(claims["email"].lower())
        user.sso_claims = claims
        return user

    def update_user(self, user, claims):
        user.sso_claims = claims  # the callback maps the groups claim to a role
        return user
