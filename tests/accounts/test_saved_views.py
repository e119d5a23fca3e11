"""Saved views: a named, filtered and sorted account list, per user or shared."""

import pytest
from django.urls import reverse

from accounts.models import SavedView

from ..factories import AccountFactory

pytestmark = pytest.mark.django_db


def save(client, name, query, shared=False):
    data = {"name": name, "query": query, **({"shared": "on"} if shared else {})}
    return client.post(reverse("accounts:view_create"), data)


def test_a_saved_view_keeps_the_filter_and_sort_and_sits_in_the_navigation(
    org_a, bob, client_for, in_tenant
):
    AccountFactory(organization=org_a, name="Renews soon", owner_csm=bob, arr=10)
    AccountFactory(organization=org_a, name="Someone else's")
    client = client_for(bob)
    response = save(client, "My renewals", f"owner_csm={bob.pk}&o=-arr&page=3&bogus=1")
    assert response.status_code == 302
    with in_tenant(org_a):
        view = SavedView.objects.get()
    assert view.query == f"owner_csm={bob.pk}&o=-arr", "no page, nothing the filter ignores"
    page = client.get(reverse("accounts:list"))
    nav = page.content.decode().split('id="nav-views"')[1].split("</details>")[0]
    assert f'href="/accounts/?owner_csm={bob.pk}&amp;o=-arr">My renewals' in nav
    opened = client.get(f"/accounts/?{view.query}")
    assert [a.name for a in opened.context["page"]] == ["Renews soon"]


def test_views_are_per_user_unless_shared(org_a, bob, mike, vera, client_for):
    save(client_for(bob), "Private", "region=EMEA")
    save(client_for(mike), "Team risk", "falling=true", shared=True)

    def navigation(user):
        return {v.name for v in client_for(user).get("/accounts/").context["saved_views"]}

    assert navigation(bob) == {"Private", "Team risk"}
    assert navigation(vera) == {"Team risk"}, "viewers see shared views too"
    assert navigation(mike) == {"Team risk"}


def test_saving_a_name_again_replaces_it_and_only_its_owner_deletes_it(
    org_a, bob, mike, client_for, in_tenant
):
    save(client_for(bob), "Mine", "region=EMEA")
    save(client_for(bob), "Mine", "region=APAC")
    with in_tenant(org_a):
        view = SavedView.objects.get()
    assert view.query == "region=APAC"
    url = reverse("accounts:view_delete", args=[view.pk])
    assert client_for(mike).post(url).status_code == 404
    assert client_for(bob).post(url).status_code == 302
    with in_tenant(org_a):
        assert not SavedView.objects.exists()


def test_a_view_without_a_name_is_refused_and_keeps_the_list(bob, client_for, org_a, in_tenant):
    response = save(client_for(bob), "", "region=EMEA")
    assert response.status_code == 302 and response["Location"].endswith("?region=EMEA")
    with in_tenant(org_a):
        assert not SavedView.objects.exists()


def test_another_organization_never_sees_a_shared_view(org_a, mike, carol, client_for):
    save(client_for(mike), "Shared in A", "region=EMEA", shared=True)
    assert list(client_for(carol).get("/accounts/").context["saved_views"]) == []


@pytest.mark.django_db(transaction=True)
def test_a_csm_saves_a_view_in_the_browser_and_opens_it(login, live_server, org_a, bob):
    AccountFactory(organization=org_a, name="Bob's", owner_csm=bob)
    AccountFactory(organization=org_a, name="Not Bob's")
    page = login("bob@alpha.test")
    page.goto(f"{live_server.url}/accounts/?owner_csm={bob.pk}")
    page.fill("#save-view input[name=name]", "My accounts")
    page.click("#save-view button")
    page.wait_for_selector("text=Saved as “My accounts”")
    page.goto(f"{live_server.url}/accounts/")
    page.click("#nav-views summary")
    page.click("#nav-views >> text=My accounts")
    page.wait_for_selector("#accounts td.name")
    assert page.locator("#accounts td.name").all_inner_texts() == ["Bob's"]
