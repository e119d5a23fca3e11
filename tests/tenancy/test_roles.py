"""What each role may do inside its own organization."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Account
from tenancy.models import Membership, Role

from ..factories import AccountFactory

pytestmark = pytest.mark.django_db

ACCOUNT = {"name": "New Co", "external_id": "N-1", "lifecycle_stage": "onboarding", "arr": "1000"}


def test_a_viewer_reads_but_cannot_write(vera, account_a, client_for):
    client = client_for(vera)
    assert client.get(reverse("accounts:detail", args=[account_a.pk])).status_code == 200
    assert client.get(reverse("accounts:create")).status_code == 403
    assert client.post(reverse("accounts:edit", args=[account_a.pk]), ACCOUNT).status_code == 403
    assert client.get(reverse("accounts:import")).status_code == 403


def test_a_csm_edits_their_own_accounts_only(bob, org_a, account_a, client_for, in_tenant):
    other = AccountFactory(organization=org_a, name="Someone else's")
    client = client_for(bob)
    response = client.post(
        reverse("accounts:edit", args=[account_a.pk]), {**ACCOUNT, "name": "Renamed"}
    )
    assert response.status_code == 302
    assert client.post(reverse("accounts:edit", args=[other.pk]), ACCOUNT).status_code == 403
    assert client.get(reverse("accounts:delete", args=[account_a.pk])).status_code == 403
    with in_tenant(org_a):
        assert Account.objects.get(pk=account_a.pk).name == "Renamed"


def test_a_csm_creates_accounts_that_are_their_own(bob, mike, org_a, client_for, in_tenant):
    response = client_for(bob).post(reverse("accounts:create"), {**ACCOUNT, "owner_csm": mike.pk})
    assert response.status_code == 302
    with in_tenant(org_a):
        assert Account.objects.get(external_id="N-1").owner_csm == bob


def test_a_manager_edits_and_deletes_any_account(mike, account_a, org_a, client_for, in_tenant):
    client = client_for(mike)
    assert client.post(reverse("accounts:edit", args=[account_a.pk]), ACCOUNT).status_code == 302
    assert client.post(reverse("accounts:delete", args=[account_a.pk])).status_code == 302
    with in_tenant(org_a):
        assert not Account.objects.exists()


def test_only_owners_manage_members_and_keys(mike, bob, vera, client_for):
    for user in (mike, bob, vera):
        client = client_for(user)
        assert client.get(reverse("tenancy:members")).status_code == 403
        assert client.get(reverse("tenancy:api_keys")).status_code == 403


def test_an_owner_adds_a_new_member_who_is_invited_by_email(
    alice, org_a, client_for, in_tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(
            reverse("tenancy:members"), {"email": "New.Person@Alpha.test", "role": "csm"}
        )
    assert response.status_code == 302
    with in_tenant(org_a):
        membership = Membership.objects.get(user__email="new.person@alpha.test")
    assert membership.role == Role.CSM
    assert len(mail.outbox) == 1 and "Alpha Software" in mail.outbox[0].subject
    assert "/reset/" in mail.outbox[0].body


def test_the_last_owner_cannot_be_demoted_or_removed(alice, org_a, client_for, in_tenant):
    client = client_for(alice)
    with in_tenant(org_a):
        own = Membership.objects.get(user=alice)
    client.post(reverse("tenancy:member_update", args=[own.pk]), {"role": "viewer"})
    client.post(reverse("tenancy:member_update", args=[own.pk]), {"remove": "1"})
    with in_tenant(org_a):
        assert Membership.objects.get(pk=own.pk).role == Role.OWNER


def test_an_owner_changes_a_role(alice, bob, org_a, client_for, in_tenant):
    with in_tenant(org_a):
        membership = Membership.objects.get(user=bob)
    client_for(alice).post(
        reverse("tenancy:member_update", args=[membership.pk]), {"role": "manager"}
    )
    with in_tenant(org_a):
        assert Membership.objects.get(pk=membership.pk).role == Role.MANAGER


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong(mike, client_for):
    response = client_for(mike).post(
        reverse("accounts:create"),
        {**ACCOUNT, "name": "Kept Name", "arr": "lots", "isic_code": "12"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Kept Name"' in page
    assert "Enter a number." in page and "four digits" in page


def test_a_duplicate_crm_id_is_a_form_error_not_a_crash(mike, account_a, client_for):
    response = client_for(mike).post(
        reverse("accounts:create"), {**ACCOUNT, "external_id": account_a.external_id}
    )
    assert response.status_code == 200
    assert "Another account already has this CRM id." in response.content.decode()


def test_password_change_and_reset_pages_work(alice, client_for, client):
    from django.core import mail

    assert client_for(alice).get(reverse("password_change")).status_code == 200
    assert client.get(reverse("password_reset")).status_code == 200
    client.post(reverse("password_reset"), {"email": "alice@alpha.test"})
    assert len(mail.outbox) == 1 and "/reset/" in mail.outbox[0].body
