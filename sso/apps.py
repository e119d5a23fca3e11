from django.apps import AppConfig


class SsoConfig(AppConfig):
    """Single sign-on by OpenID Connect, each organization with its own provider:
    mozilla-django-oidc's code flow (PKCE, state, nonce, JWKS), configured per sign-in."""

    name = "sso"
