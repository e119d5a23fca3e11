"""Destructive buttons ask first, in the browser: dismissing the question changes nothing."""

import pytest

from tenancy.models import Membership

from ..conftest import wait_for


@pytest.mark.django_db(transaction=True)
def test_removing_a_member_asks_first(login, live_server, org_a, alice, vera, in_tenant):
    def member():
        with in_tenant(org_a):
            return Membership.objects.filter(user=vera).exists()

    page = login("alice@alpha.test")
    page.goto(f"{live_server.url}/org/members/")
    row = page.locator("tr", has_text="vera@alpha.test")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    row.locator("button[name=remove]").click()
    assert questions == ["Remove vera@alpha.test from Alpha Software? They lose access at once."]
    assert member()  # dismissed: the form was never sent

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    row.locator("button[name=remove]").click()
    wait_for(lambda: not member())
