"""An account's open CSM tasks follow it to its new CSM, however the CSM is changed."""

import pytest

from accounts.models import Account, ImportJob
from accounts.services import import_job_run
from playbooks.models import PlaybookTask
from playbooks.services import run_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks(org_a, account_a, mike, defaults, in_tenant):
    """An active run on Acme, whose CSM is Bob: CSM steps for Bob, a manager step, one done."""
    with in_tenant(org_a):
        run = run_start(playbook=defaults["expand_business"], account=account_a, by=mike)
        done = run.tasks.filter(owner_role="csm").first()
        done.status = PlaybookTask.Status.DONE
        done.save()
    return run


def holders(org, in_tenant):
    with in_tenant(org):
        return sorted(
            PlaybookTask.objects.values_list("owner_role", "status", "assignee__email"),
            key=str,
        )


def expected_after(before, old: str, new: str | None):
    return sorted(
        [
            (role, status, new if (role, status, who) == ("csm", "open", old) else who)
            for role, status, who in before
        ],
        key=str,
    )


def test_reassigning_in_the_browser_moves_the_open_csm_tasks(
    org_a, account_a, mike, tasks, client_for, in_tenant
):
    before = holders(org_a, in_tenant)
    assert ("csm", "open", "bob@alpha.test") in before and ("manager", "open", None) in before
    response = client_for(mike).post(
        f"/accounts/{account_a.pk}/edit/",
        {
            "name": account_a.name,
            "external_id": account_a.external_id,
            "size_band": account_a.size_band,
            "lifecycle_stage": account_a.lifecycle_stage,
            "arr": "1000",
            "owner_csm": mike.pk,
        },
    )
    assert response.status_code == 302
    after = holders(org_a, in_tenant)
    assert after == expected_after(before, "bob@alpha.test", "mike@alpha.test")
    assert ("csm", "done", "bob@alpha.test") in after, "finished work keeps who did it"


def test_reassigning_through_the_api_moves_them_too(
    org_a, account_a, mike, tasks, key_for, in_tenant
):
    before = holders(org_a, in_tenant)
    api = key_for(org_a)
    response = api.patch(
        f"/api/v1/accounts/{account_a.pk}/", {"owner_csm": "mike@alpha.test"}, format="json"
    )
    assert response.status_code == 200
    assert holders(org_a, in_tenant) == expected_after(before, "bob@alpha.test", "mike@alpha.test")
    response = api.post(
        "/api/v1/accounts/bulk/",
        [{"external_id": account_a.external_id, "name": account_a.name, "owner_csm": None}],
        format="json",
    )
    assert response.status_code == 200
    assert holders(org_a, in_tenant) == expected_after(before, "bob@alpha.test", None)


def test_reassigning_by_import_moves_them_too(org_a, account_a, mike, tasks, in_tenant):
    before = holders(org_a, in_tenant)
    with in_tenant(org_a):
        external_id = Account.objects.get(pk=account_a.pk).external_id
        job = ImportJob.objects.create(
            organization=org_a,
            filename="f.csv",
            content=f"external_id,name,csm_email\n{external_id},Acme (A),mike@alpha.test\n",
            mode=ImportJob.Mode.ALL_OR_NOTHING,
        )
        assert import_job_run(job=job).status == "done"
    assert holders(org_a, in_tenant) == expected_after(before, "bob@alpha.test", "mike@alpha.test")


def test_a_write_that_keeps_the_csm_moves_nothing(org_a, account_a, tasks, key_for, in_tenant):
    before = holders(org_a, in_tenant)
    response = key_for(org_a).patch(
        f"/api/v1/accounts/{account_a.pk}/", {"region": "EMEA"}, format="json"
    )
    assert response.status_code == 200
    assert holders(org_a, in_tenant) == before


def test_a_bulk_reassign_moves_the_ticked_accounts_with_their_tasks(
    org_a, account_a, mike, bob, tasks, client_for, in_tenant
):
    from ..factories import AccountFactory

    other = AccountFactory(organization=org_a, owner_csm=bob, name="Other")
    before = holders(org_a, in_tenant)
    response = client_for(mike).post(
        "/accounts/bulk/",
        {"action": "reassign", "ids": [account_a.pk, other.pk], "csm": mike.pk, "query": ""},
        follow=True,
    )
    assert (
        "2 accounts moved to mike@alpha.test, with their open tasks." in response.content.decode()
    )
    assert holders(org_a, in_tenant) == expected_after(before, "bob@alpha.test", "mike@alpha.test")
    with in_tenant(org_a):
        from accounts.models import Note

        assert Note.objects.filter(kind="reassigned").count() == 2


def test_a_bulk_reassign_of_all_that_match_follows_the_filter(
    org_a, account_a, mike, bob, tasks, client_for, in_tenant
):
    from ..factories import AccountFactory

    AccountFactory(organization=org_a, owner_csm=bob, name="Elsewhere", region="APAC")
    with in_tenant(org_a):
        Account.objects.filter(pk=account_a.pk).update(region="EMEA")
    client_for(mike).post(
        "/accounts/bulk/",
        {"action": "reassign", "all": "on", "csm": mike.pk, "query": "region=EMEA"},
    )
    with in_tenant(org_a):
        owners = dict(Account.objects.values_list("name", "owner_csm__email"))
    assert owners == {"Acme (A)": "mike@alpha.test", "Elsewhere": "bob@alpha.test"}


def test_only_managers_reassign_in_bulk_and_other_tenants_ids_do_nothing(
    org_a, org_b, account_a, account_b, bob, carol, mike, client_for, in_tenant
):
    data = {"action": "reassign", "ids": [account_a.pk], "csm": bob.pk, "query": ""}
    assert client_for(bob).post("/accounts/bulk/", data).status_code == 403
    foreign = {"action": "reassign", "ids": [account_b.pk], "csm": mike.pk, "query": ""}
    response = client_for(mike).post("/accounts/bulk/", foreign, follow=True)
    assert "0 accounts moved" in response.content.decode()
    with in_tenant(org_b):
        assert Account.objects.get(pk=account_b.pk).owner_csm_id is None
    nothing = client_for(mike).post(
        "/accounts/bulk/", {"action": "reassign", "query": ""}, follow=True
    )
    assert "Tick at least one account" in nothing.content.decode()


def test_a_bulk_export_writes_the_ticked_accounts(org_a, account_a, vera, client_for):
    from ..factories import AccountFactory

    AccountFactory(organization=org_a, name="Not ticked")
    response = client_for(vera).post(
        "/accounts/bulk/", {"action": "export", "ids": [account_a.pk], "query": ""}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Acme (A)" in body and "Not ticked" not in body


@pytest.mark.django_db(transaction=True)
def test_a_manager_reassigns_in_bulk_in_the_browser_and_the_tasks_follow(
    login, live_server, org_a, account_a, mike, tasks, in_tenant
):
    before = holders(org_a, in_tenant)
    page = login("mike@alpha.test")
    page.goto(f"{live_server.url}/accounts/")
    page.check(f"#accounts input[name=ids][value='{account_a.pk}']")
    page.select_option("#bulk select[name=action]", "reassign")
    page.select_option("#bulk select[name=csm]", label="mike@alpha.test")
    page.click("#bulk button[type=submit]")
    page.wait_for_selector("text=1 account moved to mike@alpha.test, with their open tasks.")
    assert holders(org_a, in_tenant) == expected_after(before, "bob@alpha.test", "mike@alpha.test")


@pytest.mark.django_db(transaction=True)
def test_a_large_reassign_is_one_job_a_worker_does_and_the_tasks_still_follow(
    worker, org_a, account_a, mike, bob, tasks, client_for, in_tenant
):
    from django.test import override_settings

    from accounts.models import BulkJob

    from ..conftest import wait_for
    from ..factories import AccountFactory

    other = AccountFactory(organization=org_a, owner_csm=bob, name="Other")
    before = holders(org_a, in_tenant)
    data = {"action": "reassign", "ids": [account_a.pk, other.pk], "csm": mike.pk, "query": ""}
    with override_settings(BULK_INLINE_ACCOUNTS=1):
        response = client_for(mike).post("/accounts/bulk/", data)
    assert response.status_code == 302 and "/accounts/bulk/" in response["Location"]

    def done():
        """the worker finished the reassignment"""
        with in_tenant(org_a):
            return BulkJob.objects.filter(status="done").first()

    assert wait_for(done).summary == "2 accounts moved to mike@alpha.test, with their open tasks."
    assert holders(org_a, in_tenant) == expected_after(before, "bob@alpha.test", "mike@alpha.test")
