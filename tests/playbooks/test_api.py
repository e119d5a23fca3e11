"""Playbooks, runs and tasks in the REST API; a CRM mirrors task completion."""

import pytest
from rest_framework.test import APIClient

from playbooks.models import PlaybookRun

from ..factories import MembershipFactory, UserFactory
from ..problems import errors
from .conftest import EXPAND

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(org_a, account_a, defaults, move, in_tenant):
    move(account_a, *EXPAND)
    with in_tenant(org_a):
        run = PlaybookRun.objects.get()
        run.task_list = list(run.tasks.order_by("position"))
    return run


def test_the_library_runs_and_tasks_are_listed(org_a, run, key_for, account_a):
    client = key_for(org_a)
    playbooks = client.get("/api/v1/playbooks/").json()["results"]
    assert "expand_business" in {p["key"] for p in playbooks}
    runs = client.get("/api/v1/playbook-runs/", {"account": account_a.pk}).json()["results"]
    assert [(r["id"], r["status"], len(r["tasks"])) for r in runs] == [(run.pk, "active", 4)]
    tasks = client.get("/api/v1/playbook-tasks/", {"run": run.pk, "status": "open"}).json()
    assert len(tasks["results"]) == 4 and {t["overdue"] for t in tasks["results"]} == {False}


def test_a_crm_marks_a_task_done_and_the_note_is_kept(org_a, run, key_for, in_tenant):
    task = run.task_list[0]
    client = key_for(org_a)
    response = client.patch(
        f"/api/v1/playbook-tasks/{task.pk}/", {"status": "done", "note": "Logged in Salesforce"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["note"], body["completed_by"]) == (
        "done",
        "Logged in Salesforce",
        None,
    )
    assert body["completed_via"].startswith("api key") and body["completed_at"]


def test_bad_task_updates_get_messages_per_field(org_a, run, key_for):
    task = run.task_list[0]
    client = key_for(org_a)
    bad_status = client.patch(f"/api/v1/playbook-tasks/{task.pk}/", {"status": "finished"})
    assert bad_status.status_code == 400 and "status" in errors(bad_status)
    no_note = client.patch(f"/api/v1/playbook-tasks/{task.pk}/", {"status": "skipped"})
    assert no_note.status_code == 400
    assert errors(no_note) == {"note": ["Say why the task is skipped."]}
    read_only = client.patch(f"/api/v1/playbook-tasks/{task.pk}/", {"due_on": "2020-01-01"})
    assert read_only.status_code == 200 and read_only.json()["due_on"] != "2020-01-01"


def test_a_csm_session_works_only_its_own_tasks(org_a, run, bob, mike):
    other = UserFactory()
    MembershipFactory(organization=org_a, user=other, role="csm")
    csm_task = next(t for t in run.task_list if t.owner_role == "csm")
    manager_task = next(t for t in run.task_list if t.owner_role == "manager")

    def patch(user, task):
        client = APIClient()
        client.force_login(user)
        return client.patch(
            f"/api/v1/playbook-tasks/{task.pk}/", {"status": "done"}, format="json"
        ).status_code

    assert patch(other, csm_task) == 403
    assert patch(bob, manager_task) == 403
    assert patch(bob, csm_task) == 200
    assert patch(mike, manager_task) == 200


def test_starting_a_run_through_the_api(org_a, account_a, defaults, key_for):
    client = key_for(org_a)
    body = {"playbook": defaults["let_churn"].pk, "account": account_a.pk}
    first = client.post("/api/v1/playbook-runs/", body)
    assert first.status_code == 201 and first.json()["trigger"] == "manual"
    assert len(first.json()["tasks"]) == 3
    again = client.post("/api/v1/playbook-runs/", body)
    assert again.status_code == 409 and "already running" in errors(again)["playbook"][0]
    missing = client.post("/api/v1/playbook-runs/", {"playbook": 999999, "account": 999999})
    assert missing.status_code == 404
    assert errors(missing) == {
        "playbook": ["No active playbook with this id."],
        "account": ["No account with this id."],
    }


def test_another_organization_sees_none_of_it(org_b, run, key_for, account_a, defaults):
    client = key_for(org_b)
    task = run.task_list[0]
    assert client.get("/api/v1/playbook-runs/").json()["results"] == []
    assert client.get("/api/v1/playbook-tasks/").json()["results"] == []
    assert client.get("/api/v1/playbooks/").json()["results"] == []
    assert client.get(f"/api/v1/playbook-runs/{run.pk}/").status_code == 404
    assert client.patch(f"/api/v1/playbook-tasks/{task.pk}/", {"status": "done"}).status_code == 404
    started = client.post(
        "/api/v1/playbook-runs/",
        {"playbook": defaults["let_churn"].pk, "account": account_a.pk},
    )
    assert started.status_code == 404  # neither exists for B: not found, not forbidden
