"""Signing in through an organization's identity provider: a start page, the redirect to
the provider (mozilla-django-oidc's, with PKCE), and the callback, where the person is made
or updated as a member of that organization, and of no other, with the role their groups
map to (tenancy.services.role_for_groups)."""

from urllib.parse import parse_qs, urlsplit

from django import forms
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from tenancy.context import tenant_context
from tenancy.middleware import SESSION_KEY, SSO_SESSION_KEY
from tenancy.services import (
    membership_provision,
    role_for_groups,
)

from .backend import Refused
from .provider import NotConfigured, Provider, current_provider, provider_of

STATES_KEY = "sso_states"  # state → organization slug, for the callback


class StartForm(forms.Form):
    organization = forms.SlugField(
        label="Organization", help_text="Its short name, as in your sign-in link: e.g. alpha."
    )


def start(request):
    """Which organization to sign in to. The way on is a link (followed at once), not a
    redirect: a form may only submit to this site (CSP form-action), and the sign-in goes
    on to the provider."""
    form = StartForm(request.GET or None)
    onward = (
        reverse("sso:login", args=[form.cleaned_data["organization"]]) if form.is_valid() else None
    )
    return render(request, "sso/start.html", {"form": form, "onward": onward})


def _refused(request, reason: str, status: int = 403):
    return render(request, "sso/refused.html", {"reason": reason}, status=status)


class Login(OIDCAuthenticationRequestView):
    """To the organization's provider, remembering which organization the state is for."""

    def __init__(self, *args, **kwargs):  # the settings are the organization's, in get()
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request, slug):
        try:
            provider = provider_of(slug)
        except NotConfigured as error:
            return _refused(request, str(error), status=404)
        self.OIDC_OP_AUTH_ENDPOINT = provider.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = provider.client_id
        response = super().get(request)
        [state] = parse_qs(urlsplit(response.url).query)["state"]
        states = request.session.get(STATES_KEY, {})
        states[state] = provider.organization_slug
        request.session[STATES_KEY] = dict(list(states.items())[-20:])
        return response


class Callback(OIDCAuthenticationCallbackView):
    """The provider's answer: every check the library and our backend make, then the person
    in their organization. A refusal is a page saying why, and writes nothing."""

    def get(self, request):
        slug = request.session.get(STATES_KEY, {}).get(request.GET.get("state", ""))
        if slug is None:
            return _refused(
                request,
                "This sign-in link was already used, or did not come from here. Start again.",
                status=400,
            )
        try:
            provider = provider_of(slug)
        except NotConfigured as error:
            return _refused(request, str(error), status=404)
        token = current_provider.set(provider)
        try:
            with transaction.atomic():
                response = super().get(request)
                if getattr(self, "user", None) is None or response.status_code != 302:
                    raise _Failed(getattr(request, "sso_refusal", ""))
                self._enter(request, provider)
                return response
        except Refused as error:
            return _refused(request, str(error))
        except _Failed as failure:
            return _refused(request, str(failure) or "The provider did not sign you in.")
        except SuspiciousOperation:
            return _refused(request, "This sign-in could not be verified. Start again.", 400)
        finally:
            current_provider.reset(token)
            states = request.session.get(STATES_KEY, {})
            states.pop(request.GET.get("state", ""), None)
            request.session[STATES_KEY] = states

    def login_failure(self):
        raise _Failed(getattr(self.request, "sso_refusal", ""))

    def _enter(self, request, provider: Provider) -> None:
        """Member of this organization (made at the first sign-in, with the role the groups
        claim maps to; the role kept in step at each later one), and in it."""
        claims = getattr(self.user, "sso_claims", {}) or {}
        groups = claims.get("groups") or []
        with tenant_context(provider.organization_id):
            role = role_for_groups(groups if isinstance(groups, list) else [groups])
            membership_provision(user=self.user, role=role)
        request.session[SESSION_KEY] = provider.organization_id
        signed = set(request.session.get(SSO_SESSION_KEY, []))
        request.session[SSO_SESSION_KEY] = sorted(signed | {provider.organization_id})


class _Failed(Exception):
    pass
