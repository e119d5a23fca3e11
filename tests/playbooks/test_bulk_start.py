"""Starting a playbook on many accounts from the account list: in the request for a few, as
one job with progress for many; never twice on one account; a CSM on their own accounts."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from accounts.jobs import job_guarded, jobs_relay
from accounts.models import BulkJob
from playbooks.bulk import runs_start_bulk
from playbooks.models import PlaybookRun
from playbooks.services import run_start

from ..conftest import wait_for
from ..factories import AccountFactory
from ..recomputing import row_held

pytestmark = pytest.mark.django_db


def runs(org, in_tenant, playbook) -> dict[str, int]:
    with in_tenant(org):
        active = PlaybookRun.objects.filter(playbook=playbook, status="active")
        return dict(active.values_list("account__name").annotate(n=Count("id")))


def start(client, playbook, ids, **extra):
    data = {"action": "playbook", "option": playbook.pk, "ids": ids, "query": "", **extra}
    return client.post("/accounts/bulk/", data, follow=True)


def test_a_manager_starts_a_playbook_on_the_ticked_accounts_once_each(
    org_a, account_a, mike, bob, defaults, client_for, in_tenant
):
    playbook = defaults["expand_business"]
    other = AccountFactory(organization=org_a, owner_csm=bob, name="Other")
    with in_tenant(org_a):
        run_start(playbook=playbook, account=account_a, by=mike)
    response = start(client_for(mike), playbook, [account_a.pk, other.pk])
    assert (
        f"“{playbook.name}” started on 1 account; 1 already running it."
        in response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")
    )
    assert runs(org_a, in_tenant, playbook) == {"Acme (A)": 1, "Other": 1}


def test_a_csm_starts_it_on_their_own_accounts_only(
    org_a, account_a, mike, bob, defaults, client_for, in_tenant
):
    playbook = defaults["expand_business"]
    mikes = AccountFactory(organization=org_a, owner_csm=mike, name="Mike's")
    response = start(client_for(bob), playbook, [account_a.pk, mikes.pk])
    assert "1 left out (not yours, or deleted since)" in response.content.decode()
    assert runs(org_a, in_tenant, playbook) == {"Acme (A)": 1}


def test_no_playbook_chosen_or_a_viewer_starts_nothing(
    org_a, account_a, vera, mike, defaults, client_for, in_tenant
):
    playbook = defaults["expand_business"]
    response = start(client_for(mike), playbook, [account_a.pk], option="")
    assert "Choose the playbook to use." in response.content.decode()
    response = start(client_for(vera), playbook, [account_a.pk])
    assert "Select a valid choice. playbook is not one of the available choices." in (
        response.content.decode()
    )
    assert runs(org_a, in_tenant, playbook) == {}


def test_another_organizations_ids_start_nothing(
    org_a, account_b, mike, defaults, client_for, in_tenant, org_b
):
    playbook = defaults["expand_business"]
    response = start(client_for(mike), playbook, [account_b.pk])
    assert "started on 0 accounts." in response.content.decode()
    with in_tenant(org_b):
        assert not PlaybookRun.objects.exists()


def test_the_same_job_run_twice_starts_each_run_once(org_a, account_a, mike, defaults, in_tenant):
    playbook = defaults["expand_business"]
    with in_tenant(org_a):
        member = mike.memberships.get()
        for _ in range(2):
            runs_start_bulk(
                membership=member,
                option=str(playbook.pk),
                account_ids=[account_a.pk],
                by=mike,
                progress=None,
            )
    assert runs(org_a, in_tenant, playbook) == {"Acme (A)": 1}


def test_a_lost_bulk_job_is_relayed_and_one_never_done_is_failed(org_a, mike, in_tenant):
    with in_tenant(org_a):
        now = timezone.now()
        lost, stuck = (
            BulkJob.objects.create(organization=org_a, action="playbook", created_by=mike)
            for _ in range(2)
        )
        BulkJob.objects.filter(pk=lost.pk).update(sent_at=now - timedelta(minutes=5))
        BulkJob.objects.filter(pk=stuck.pk).update(created_at=now - timedelta(hours=2))
        assert jobs_relay() == (1, 1)
        stuck.refresh_from_db()
        assert stuck.status == "failed"
        assert "No worker finished this bulk action" in stuck.errors[0]["message"]


@pytest.mark.django_db(transaction=True)
@override_settings(BULK_INLINE_ACCOUNTS=2)
def test_many_accounts_become_one_job_a_worker_does_with_progress(
    worker, org_a, mike, bob, defaults, client_for, in_tenant
):
    playbook = defaults["expand_business"]
    accounts = sorted(
        (AccountFactory(organization=org_a, owner_csm=bob) for _ in range(5)), key=lambda a: a.pk
    )
    with row_held(org_a, "accounts_account", accounts[0].pk) as worker_waits:
        response = start(client_for(mike), playbook, [a.pk for a in accounts])
        (job_url, status), *_ = response.redirect_chain
        assert status == 302 and "/accounts/bulk/" in job_url
        # The job has started every run; the keys within the tenant are checked at commit,
        # where it waits for the account the test holds. Its progress is seen, not its end.
        wait_for(worker_waits)
        assert 'id="progress"' in response.content.decode()
        state = client_for(mike).get(job_url + "status/").json()
        assert state == {"status": "queued", "finished": False, "done": 5, "total": 5}
        assert runs(org_a, in_tenant, playbook) == {}  # nothing is seen before it commits

    def finished():
        """the worker finished the job"""
        with in_tenant(org_a):
            return BulkJob.objects.filter(status="done").first()

    job = wait_for(finished)
    assert job.summary == f"“{playbook.name}” started on 5 accounts."
    assert len(runs(org_a, in_tenant, playbook)) == 5
    page = client_for(mike).get(job_url).content.decode()
    assert "started on 5 accounts" in page and 'id="progress"' not in page
    assert client_for(bob).get(job_url).status_code == 404  # another member's job
    with in_tenant(org_a):
        assert job_guarded(BulkJob, job.pk, lambda job: None).status == "done"  # not again
