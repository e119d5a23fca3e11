"""Single sign-on through a real OpenID Connect provider (the `oidc-provider` package for
Node.js, on a loopback port, configured in tests/sso/provider.mjs): a person signs in in
Chromium and lands in the right organization with the role their groups map to; tampered,
expired and misaddressed tokens, a replayed state and an email outside the allowed domains
are each refused with a page saying why, writing nothing."""

import base64
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from sso.backend import OrganizationOIDCBackend, Refused
from sso.provider import current_provider, provider_of
from tenancy.models import Membership, Organization, User
from tenancy.services import group_role_set, identity_settings

from ..factories import MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, SECRET = "ascend-alpha", "alpha-secret-for-tests"
ACCOUNTS = {"nina@alpha.test": {"groups": ["Ascend Managers"]}, "omar@alpha.test": {}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def oidc(live_server, org_a, alice, in_tenant, signing_key):
    """The provider running, and organization A set up to sign in through it."""
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key))
    jwk |= {"kid": "test-key", "alg": "RS256", "use": "sig"}
    config = {
        "port": port,
        "issuer": issuer,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": SECRET,
                "redirect_uri": f"{live_server.url}/sso/callback/",
            }
        ],
        "jwk": jwk,
        "cookie_key": uuid.uuid4().hex,
        "accounts": ACCOUNTS,
    }
    process = subprocess.Popen(
        ["node", str(ROOT / "tests" / "sso" / "provider.mjs")],
        cwd=ROOT,
        env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    said = []
    for line in process.stdout:  # until the provider says it listens (its warnings first)
        said.append(line)
        if line.startswith("ready"):
            break
    else:
        raise AssertionError("the OIDC provider did not start:\n" + "".join(said))
    # Keep reading what it says, so that a full pipe never blocks it.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    with in_tenant(org_a):
        settings_ = identity_settings()
        settings_.oidc_issuer = issuer
        settings_.oidc_client_id = CLIENT_ID
        settings_.oidc_client_secret = SECRET
        settings_.allowed_domains = "alpha.test"
        settings_.save()
        group_role_set(group="Ascend Managers", role="manager")
    yield {"issuer": issuer, "key": signing_key}
    process.terminate()
    process.wait(timeout=10)


def loopback_only(page):
    """Nothing leaves 127.0.0.1: the provider's dev pages import a web font, refused here."""
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost")
            else route.abort()
        ),
    )
    return page


def sign_in(page, base, login):
    """Through the provider's own pages, as a person would."""
    loopback_only(page)
    page.set_default_timeout(15000)
    page.goto(f"{base}/login/")
    page.click("#sso-link")
    page.fill("#id_organization", "alpha")
    page.click("#sso-start button[type=submit]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")
    page.click("button[autofocus], button[type=submit]")  # the consent page: Continue


@pytest.mark.django_db(transaction=True)
def test_a_person_signs_in_through_the_provider_into_their_organization_with_their_role(
    oidc, browser, live_server, org_a, org_b, in_tenant
):
    # Nina is a CSM of A already (and a member of B): her groups claim says manager now.
    nina = UserFactory(email="nina@alpha.test")
    MembershipFactory(organization=org_a, user=nina, role="csm")
    MembershipFactory(organization=org_b, user=nina, role="viewer")
    with in_tenant(org_b):
        assert Organization.objects.filter(pk=org_b.pk).update(sso_required=True) == 1
    page = browser.new_page()
    sign_in(page, live_server.url, "nina@alpha.test")
    page.wait_for_url(f"{live_server.url}/segments/**")
    assert "nina@alpha.test · Manager" in page.inner_text(".who")
    assert "Alpha Software" in page.inner_text(".who")
    with in_tenant(org_a):
        assert Membership.objects.get(user=nina).role == "manager"
    with in_tenant(org_b):  # A's provider grants nothing in B, which requires its own
        assert Membership.objects.get(user=nina).role == "viewer"
    assert page.locator("#org-switch").count() == 0  # B is not offered to this session
    page.close()


@pytest.mark.django_db(transaction=True)
def test_a_replayed_state_and_an_email_outside_the_domains_are_refused_writing_nothing(
    oidc, browser, live_server, org_a, in_tenant
):
    page = browser.new_page()
    callbacks = []
    page.on("request", lambda r: callbacks.append(r.url) if "/sso/callback/" in r.url else None)
    sign_in(page, live_server.url, "omar@alpha.test")
    page.wait_for_url(f"{live_server.url}/segments/**")
    with in_tenant(org_a):  # made at the first sign-in, in no mapped group: the default role
        assert Membership.objects.get(user__email="omar@alpha.test").role == "csm"
        members = Membership.objects.count()
    page.goto(callbacks[0])  # the same code and state again
    assert "already used" in page.inner_text("#sso-refusal")
    with in_tenant(org_a):
        assert Membership.objects.count() == members
    page.context.clear_cookies()
    sign_in(page, live_server.url, "eve@elsewhere.test")
    assert "not in a domain" in page.inner_text("#sso-refusal")
    assert not User.objects.filter(email="eve@elsewhere.test").exists()
    page.close()


def _token(key, **claims):
    now = int(time.time())
    body = {
        "iss": claims.pop("iss"),
        "aud": CLIENT_ID,
        "sub": "nina@alpha.test",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
    } | claims
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "test-key"})


@pytest.mark.django_db(transaction=True)
def test_tampered_expired_and_misaddressed_tokens_are_refused(oidc, org_a):
    provider = provider_of("alpha")
    token = current_provider.set(provider)
    try:
        backend = OrganizationOIDCBackend()
        key, issuer = oidc["key"], oidc["issuer"]
        good = _token(key, iss=issuer)
        assert backend.verify_token(good, nonce="n-1")["sub"] == "nina@alpha.test"
        header, payload, signature = good.split(".")
        forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
        forged["sub"] = "alice@alpha.test"
        tampered = ".".join(
            [
                header,
                base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("="),
                signature,
            ]
        )
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cases = {
            "signature": tampered,
            "expired": _token(key, iss=issuer, exp=int(time.time()) - 60),
            "another application": _token(key, iss=issuer, aud="someone-else"),
            "another provider": _token(key, iss="http://127.0.0.1:1/"),
            "signature fails": _token(other_key, iss=issuer),
        }
        for reason, bad in cases.items():
            with pytest.raises(Refused, match=reason):
                backend.verify_token(bad, nonce="n-1")
        with pytest.raises(Refused, match="Nonce"):
            backend.verify_token(good, nonce="another")
    finally:
        current_provider.reset(token)


@pytest.mark.django_db
def test_requiring_sso_turns_password_sessions_away_except_owners(
    org_a, org_b, alice, bob, client_for, in_tenant
):
    with in_tenant(org_a):
        assert Organization.objects.filter(pk=org_a.pk).update(sso_required=True) == 1
    assert client_for(bob).get("/segments/").status_code == 403  # no organization to enter
    assert client_for(alice).get("/segments/").status_code == 200  # the owner's break-glass
    # Bob's membership elsewhere is not affected.
    MembershipFactory(organization=org_b, user=bob, role="csm")
    assert client_for(bob).get("/segments/").status_code == 200


@pytest.mark.django_db
def test_the_login_page_offers_single_sign_on():
    assert 'id="sso-link"' in Client().get("/login/").content.decode()
    refused = Client().get(f"/sso/{uuid.uuid4().hex[:8]}/")
    assert refused.status_code == 404 and "No such organization" in refused.content.decode()
