"""The operators' management commands."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Account
from tenancy.models import Membership, Role
from tenancy.selectors import organization_get_by_slug

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createtenant_creates_the_organization_and_its_owner(in_tenant, client):
    run(
        "createtenant",
        "acme",
        "--name",
        "Acme Inc",
        "--owner-email",
        "Boss@Acme.test",
        "--owner-password",
        "s3cret-pass-99",
    )
    organization = organization_get_by_slug(slug="acme")
    with in_tenant(organization):
        membership = Membership.objects.get()
    assert organization.name == "Acme Inc"
    assert (membership.user.email, membership.role) == ("boss@acme.test", Role.OWNER)
    response = client.post("/login/", {"username": "boss@acme.test", "password": "s3cret-pass-99"})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_createtenant_refuses_a_taken_slug(org_a):
    with pytest.raises(CommandError, match="already exists"):
        run(
            "createtenant",
            "alpha",
            "--name",
            "X",
            "--owner-email",
            "x@x.test",
            "--owner-password",
            "pw-123456789",
        )


def test_createapikey_prints_a_working_key_last(org_a, account_a):
    output = run("createapikey", "alpha", "Salesforce")
    key = output.strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 200 and response.json()["results"][0]["name"] == "Acme (A)"


def test_createapikey_names_an_unknown_slug():
    with pytest.raises(CommandError, match="No organization"):
        run("createapikey", "ghost", "k")


def test_seed_demo_is_realistic_and_can_run_twice(in_tenant, client):
    run("seed_demo", "--accounts", "120")
    output = run("seed_demo", "--accounts", "120")
    assert "owner@demo.ascend.local" in output
    organization = organization_get_by_slug(slug="demo")
    with in_tenant(organization):
        accounts = Account.objects.all()
        assert accounts.count() == 120
        assert accounts.values("industry").distinct().count() >= 5
        assert accounts.values("region").distinct().count() >= 3
        assert accounts.values("size_band").distinct().count() == 4
        assert not accounts.filter(owner_csm=None).exists()
        assert Membership.objects.count() == 6
    signed = {"username": "manager@demo.ascend.local", "password": "ascend-demo"}
    assert client.post("/login/", signed).status_code == 302 and "_auth_user_id" in client.session
