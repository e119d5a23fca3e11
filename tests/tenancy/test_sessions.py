"""Sessions rotate on sign-in, and an owner can sign a member out on every device at once."""

import pytest
from django.test import Client

from audit.selectors import AuditFilter, audit_events, entries
from tenancy.models import Membership

pytestmark = pytest.mark.django_db


def signed_in(client: Client) -> bool:
    return client.get("/segments/").status_code == 200


def test_signing_in_gives_a_new_session_key(alice):
    client = Client()
    session = client.session
    session["before"] = "planted"  # a session an attacker could have fixed on the browser
    session.save()
    planted = session.session_key
    response = client.post("/login/", {"username": "alice@alpha.test", "password": "pw-for-tests"})
    assert response.status_code == 302 and signed_in(client)
    assert client.session.session_key != planted


def test_an_owner_signs_a_member_out_on_every_device(org_a, alice, bob, client_for, in_tenant):
    phone, laptop, owner = client_for(bob), client_for(bob), client_for(alice)
    assert signed_in(phone) and signed_in(laptop)
    with in_tenant(org_a):
        membership = Membership.objects.get(user=bob)
    response = owner.post(f"/org/members/{membership.pk}/sign-out/", follow=True)
    assert "bob@alpha.test was signed out everywhere." in response.content.decode()
    assert not signed_in(phone) and not signed_in(laptop)
    assert phone.get("/segments/").url.startswith("/login/")
    assert signed_in(owner)
    again = Client()  # signing in again works at once
    again.post("/login/", {"username": "bob@alpha.test", "password": "pw-for-tests"})
    assert signed_in(again)
    with in_tenant(org_a):
        [event] = entries(
            audit_events(AuditFilter(object_type="tenancy.Membership", action="update"))
        )
    assert event.actor_label == "alice@alpha.test" and event.object_id == str(membership.pk)
    assert [c.field for c in event.changes] == ["sessions ended at"]


def test_an_owner_signing_out_everywhere_keeps_this_session(org_a, alice, client_for, in_tenant):
    here, elsewhere = client_for(alice), client_for(alice)
    with in_tenant(org_a):
        membership = Membership.objects.get(user=alice)
    response = here.post(f"/org/members/{membership.pk}/sign-out/", follow=True)
    assert "Your other sessions were signed out." in response.content.decode()
    assert signed_in(here) and not signed_in(elsewhere)


def test_only_owners_sign_members_out(org_a, mike, bob, client_for, in_tenant):
    with in_tenant(org_a):
        membership = Membership.objects.get(user=bob)
    bobs = client_for(bob)
    assert client_for(mike).post(f"/org/members/{membership.pk}/sign-out/").status_code == 403
    assert signed_in(bobs)
