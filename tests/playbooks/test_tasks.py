"""Working the tasks: by role, in the browser and through the API; the inbox; the daily job."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from playbooks.models import PlaybookRun, PlaybookTask
from playbooks.tasks import daily
from tenancy.models import Role

from ..factories import MembershipFactory, UserFactory
from .conftest import EXPAND, SAVE

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(org_a, account_a, defaults, move, in_tenant):
    move(account_a, *EXPAND)
    with in_tenant(org_a):
        return PlaybookRun.objects.get()


def tasks_of(run, in_tenant, org):
    with in_tenant(org):
        return list(run.tasks.order_by("position"))


def close(client, task, **data):
    return client.post(reverse("playbooks:task_close", args=[task.pk]), data)


def test_the_assigned_csm_completes_their_task_and_others_cannot(
    org_a, run, bob, vera, client_for, in_tenant
):
    other_csm = UserFactory()
    MembershipFactory(organization=org_a, user=other_csm, role=Role.CSM)
    task = tasks_of(run, in_tenant, org_a)[0]
    assert close(client_for(other_csm), task, status="done").status_code == 403
    assert close(client_for(vera), task, status="done").status_code == 403
    response = close(client_for(bob), task, status="done", note="Mapped 3 teams")
    assert response.status_code == 302
    with in_tenant(org_a):
        task.refresh_from_db()
    assert (task.status, task.note, task.completed_by, task.completed_via) == (
        "done",
        "Mapped 3 teams",
        bob,
        "browser",
    )


def test_a_csm_cannot_take_the_managers_step_a_manager_can(
    org_a, run, bob, mike, client_for, in_tenant
):
    manager_step = next(t for t in tasks_of(run, in_tenant, org_a) if t.owner_role == "manager")
    assert close(client_for(bob), manager_step, status="done").status_code == 403
    assert close(client_for(mike), manager_step, status="done").status_code == 302


def test_skipping_needs_a_note_and_the_form_keeps_the_choice(
    org_a, run, bob, client_for, in_tenant
):
    task = tasks_of(run, in_tenant, org_a)[0]
    response = close(client_for(bob), task, status="skipped", note="  ")
    assert response.status_code == 200
    assert "Say why the task is skipped." in response.content.decode()
    assert response.context["form"]["status"].value() == "skipped"
    with in_tenant(org_a):
        task.refresh_from_db()
    assert task.status == "open"


def test_closing_every_task_completes_the_run_and_reopening_reactivates_it(
    org_a, run, mike, client_for, in_tenant
):
    client = client_for(mike)
    tasks = tasks_of(run, in_tenant, org_a)
    for task in tasks[:-1]:
        close(client, task, status="done")
    close(client, tasks[-1], status="skipped", note="Not this quarter")
    with in_tenant(org_a):
        run.refresh_from_db()
    assert run.status == "completed" and run.ended_at is not None
    client.post(reverse("playbooks:task_reopen", args=[tasks[0].pk]))
    with in_tenant(org_a):
        run.refresh_from_db()
    assert run.status == "active" and run.ended_at is None


def test_tasks_of_a_superseded_run_leave_the_inbox_and_cannot_be_closed(
    org_a, account_a, run, bob, move, client_for, in_tenant
):
    task = tasks_of(run, in_tenant, org_a)[0]
    move(account_a, *SAVE)
    client = client_for(bob)
    page = client.get(reverse("playbooks:inbox") + "?tab=due").content.decode()
    assert task.title not in page
    response = close(client, task, status="done")
    assert "superseded" in response.content.decode()
    with in_tenant(org_a):
        task.refresh_from_db()
    assert task.status == "open"


def test_the_inbox_splits_due_overdue_and_done(org_a, run, bob, client_for, in_tenant):
    first, second, *_ = tasks_of(run, in_tenant, org_a)
    with in_tenant(org_a):
        PlaybookTask.objects.filter(pk=first.pk).update(due_on=timezone.localdate() - timedelta(1))
    client = client_for(bob)
    close(client, second, status="done", note="ok")
    pages = {
        tab: client.get(reverse("playbooks:inbox"), {"tab": tab}).context["shown"]
        for tab in ("overdue", "due", "done")
    }
    assert [t.pk for t in pages["overdue"]] == [first.pk]
    assert second.pk in [t.pk for t in pages["done"]]
    # bob sees his CSM tasks only, not the manager step
    assert {t.owner_role for t in pages["due"]} == {"csm"}
    assert client.get(reverse("accounts:list")).context["task_counts"]["overdue"] == 1


def test_managers_see_overdue_tasks_per_csm(org_a, run, bob, mike, client_for, in_tenant):
    with in_tenant(org_a):
        run.tasks.update(due_on=timezone.localdate() - timedelta(days=3))
    response = client_for(mike).get(reverse("playbooks:inbox"))
    team = {row["email"]: row["count"] for row in response.context["team"]}
    assert team == {bob.email: 3, "": 1}
    assert "Overdue tasks per CSM" in response.content.decode()
    one = client_for(mike).get(reverse("playbooks:inbox"), {"csm": bob.pk, "tab": "overdue"})
    assert {t.assignee_id for t in one.context["shown"]} == {bob.pk}


def test_the_daily_job_stamps_overdue_tasks_and_mails_each_digest_once(
    org_a, run, bob, mike, in_tenant
):
    with in_tenant(org_a):
        run.tasks.filter(position=0).update(due_on=timezone.localdate() - timedelta(days=2))
    first = daily.run(str(org_a.id))
    assert first["marked"] == 1
    recipients = sorted(to for message in mail.outbox for to in message.to)
    assert bob.email in recipients and mike.email in recipients
    bob_mail = next(m for m in mail.outbox if m.to == [bob.email])
    assert "1 overdue" in bob_mail.subject and "Map expansion opportunities" in bob_mail.body
    assert daily.run(str(org_a.id)) == {"marked": 0, "digests": 0}
    with in_tenant(org_a):
        stamped = run.tasks.get(position=0).overdue_since
    assert stamped == timezone.localdate()


def test_a_daily_job_without_an_organization_refuses_to_run():
    from tenancy.tasks import TenantRequired

    with pytest.raises(TenantRequired):
        daily.run("")


def test_starting_by_hand_from_the_account_page(
    org_a, account_a, bob, defaults, client_for, in_tenant
):
    client = client_for(bob)
    page = client.get(reverse("accounts:detail", args=[account_a.pk]))
    assert "Start playbook" in page.content.decode()
    playbook = defaults["consult_process_governance"]
    client.post(reverse("playbooks:run_start", args=[account_a.pk]), {"playbook": playbook.pk})
    again = client.post(
        reverse("playbooks:run_start", args=[account_a.pk]), {"playbook": playbook.pk}, follow=True
    )
    assert "already running" in again.content.decode()
    with in_tenant(org_a):
        assert list(PlaybookRun.objects.values_list("trigger", "started_by")) == [
            ("manual", bob.pk)
        ]


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/phish", "//evil.example", "foo", "accounts:detail", "/\\evil.example"],
)
def test_closing_or_reopening_never_redirects_off_site_or_fails_on_a_bad_next(
    target, org_a, run, mike, client_for, in_tenant
):
    client = client_for(mike)
    task = tasks_of(run, in_tenant, org_a)[0]
    closed = close(client, task, status="done", next=target)
    assert closed.status_code == 302 and closed["Location"] == reverse("playbooks:inbox")
    reopened = client.post(reverse("playbooks:task_reopen", args=[task.pk]), {"next": target})
    assert reopened.status_code == 302 and reopened["Location"] == reverse("playbooks:inbox")


def test_a_next_on_this_site_is_followed(org_a, run, mike, client_for, in_tenant):
    task = tasks_of(run, in_tenant, org_a)[0]
    page = f"/accounts/{run.account_id}/"
    assert close(client_for(mike), task, status="done", next=page)["Location"] == page


def test_overdue_tasks_are_drawn_urgent_and_the_run_names_its_cell(
    org_a, run, bob, client_for, in_tenant
):
    first, second, *_ = tasks_of(run, in_tenant, org_a)
    with in_tenant(org_a):
        PlaybookTask.objects.filter(pk=first.pk).update(due_on=timezone.localdate() - timedelta(1))
    page = client_for(bob).get(reverse("playbooks:run", args=[run.pk])).content.decode()
    overdue = page[page.index(f'id="task-{first.pk}"') :].split("</tr>")[0]
    due = page[page.index(f'id="task-{second.pk}"') :].split("</tr>")[0]
    assert 'class="overdue"' in overdue and 'badge urgent">overdue' in overdue
    assert "overdue" not in due
    facts = page[page.index("Cell at start") :].split("</dd>")[0]
    assert "Expand and leverage" in facts and "expand_and_leverage" not in facts


def test_the_inbox_completes_skips_and_reassigns_many_at_once(
    org_a, run, bob, mike, client_for, in_tenant
):
    first, second, *rest = [t for t in tasks_of(run, in_tenant, org_a) if t.owner_role == "csm"]
    client = client_for(bob)
    url = reverse("playbooks:tasks_bulk") + "?tab=due"
    refused = client.post(url, {"action": "skipped", "ids": [first.pk, second.pk]}, follow=True)
    assert (
        "Nothing was changed." in refused.content.decode() and "Say why" in refused.content.decode()
    )
    client.post(url, {"action": "skipped", "ids": [first.pk, second.pk], "note": "Not needed"})
    with in_tenant(org_a):
        statuses = {t.pk: (t.status, t.note) for t in run.tasks.all()}
    assert statuses[first.pk] == statuses[second.pk] == ("skipped", "Not needed")
    assert client.post(url, {"action": "reassign", "ids": [t.pk for t in rest]}).status_code == 403
    assert rest, "the playbook has more than two CSM steps"
    client_for(mike).post(url, {"action": "reassign", "ids": [rest[0].pk], "assignee": mike.pk})
    with in_tenant(org_a):
        assert run.tasks.get(pk=rest[0].pk).assignee == mike


def test_a_done_task_reopens_from_the_done_tab(org_a, run, bob, client_for, in_tenant):
    first, *_ = tasks_of(run, in_tenant, org_a)
    client = client_for(bob)
    close(client, first, status="done", note="ok")
    page = client.get(reverse("playbooks:inbox"), {"tab": "done"}).content.decode()
    assert reverse("playbooks:task_reopen", args=[first.pk]) in page
    client.post(reverse("playbooks:task_reopen", args=[first.pk]))
    with in_tenant(org_a):
        first.refresh_from_db()
    assert first.status == "open" and first.completed_at is None
