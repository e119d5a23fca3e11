"""In headless Chromium: a CSM's assessment migrates an account, the worker starts the
playbook, and the CSM finds the new task in the inbox and completes it."""

import pytest

from playbooks.models import PlaybookTask
from playbooks.services import playbook_defaults_install
from recompute.pipeline import accounts_recompute

from ..conftest import DECK_ANSWERS, uniform, wait_for


@pytest.mark.django_db(transaction=True)
def test_a_csm_sees_the_new_task_after_a_migration_and_completes_it(
    worker, login, live_server, bob, org_a, account_a, placed, in_tenant
):
    with in_tenant(org_a):
        playbook_defaults_install(organization=org_a)
    placed(account_a, nps=50, answers=uniform(1))  # high health, low maturity: retain
    with in_tenant(org_a):
        accounts_recompute()  # the first placement starts "Consult on process governance"

    page = login("bob@alpha.test")
    page.goto(f"{live_server.url}/playbooks/tasks/?tab=due")
    assert "Consult on process governance" in page.inner_text("#inbox")
    assert "Map expansion opportunities" not in page.inner_text("#inbox")

    page.goto(f"{live_server.url}/accounts/{account_a.pk}/")
    page.click("text=Start assessment")
    for key in DECK_ANSWERS:
        page.check(f"#factor-{key} input[value='5']")
    page.click("button[name=submit]")
    page.wait_for_selector("#cmi")

    def task_arrived():
        """the worker has moved the account to Expand and leverage and started its playbook"""
        page.goto(f"{live_server.url}/playbooks/tasks/?tab=due")
        return "Map expansion opportunities" in page.inner_text("#inbox")

    wait_for(task_arrived, timeout=30, interval=0.3)
    assert "Acme (A)" in page.inner_text("#inbox")
    assert "Consult on process governance" not in page.inner_text("#inbox")  # superseded
    assert page.inner_text("#nav-tasks").strip().startswith("Tasks")

    page.click("#inbox tr:has-text('Map expansion opportunities') >> text=Complete or skip")
    page.select_option("#id_status", "skipped")
    page.click("button[type=submit]")  # a skip without a note is refused, the choice kept
    assert "Say why the task is skipped." in page.inner_text("#close-form")
    assert page.input_value("#id_status") == "skipped"
    page.select_option("#id_status", "done")
    page.fill("#id_note", "Three new teams found; sponsor meeting booked.")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/playbooks/tasks/")

    page.goto(f"{live_server.url}/playbooks/tasks/?tab=done")
    done = page.inner_text("#inbox")
    assert "Map expansion opportunities" in done and "sponsor meeting booked" in done
    with in_tenant(org_a):
        task = PlaybookTask.objects.get(title="Map expansion opportunities")
    assert (task.status, task.completed_by_id) == ("done", bob.pk)
