"""In headless Chromium: a manager's quadrant follows a CSM's assessment through the worker."""

import pytest

from recompute.pipeline import accounts_recompute

from ..conftest import DECK_ANSWERS, uniform
from ..factories import AccountFactory


def share_of(page, cell):
    return page.inner_text(f"#shares tr[data-cell='{cell}'] .share")


@pytest.mark.django_db(transaction=True)
def test_an_assessment_moves_an_account_on_the_managers_quadrant(
    worker, login, live_server, mike, bob, org_a, account_a, placed, in_tenant
):
    steady = AccountFactory(organization=org_a, name="Steady")
    placed(account_a, nps=50, answers=uniform(1))  # high health, low maturity: retain
    placed(steady, nps=50, answers=uniform(5))  # expand and leverage
    with in_tenant(org_a):
        accounts_recompute()

    manager = login("mike@alpha.test")
    manager.goto(f"{live_server.url}/segments/")
    manager.wait_for_selector("#quadrant .main-svg")
    assert share_of(manager, "retain") == "50%"
    assert share_of(manager, "expand_and_leverage") == "50%"

    csm = login("bob@alpha.test")
    csm.goto(f"{live_server.url}/accounts/{account_a.pk}/")
    csm.click("text=Start assessment")
    for key in DECK_ANSWERS:
        csm.check(f"#factor-{key} input[value='5']")
    csm.click("button[name=submit]")
    csm.wait_for_selector("#cmi")

    for _ in range(80):  # until the worker has recomputed the account's cell
        manager.goto(f"{live_server.url}/segments/")
        if share_of(manager, "expand_and_leverage") == "100%":
            break
        manager.wait_for_timeout(250)
    assert share_of(manager, "expand_and_leverage") == "100%"
    assert share_of(manager, "retain") == "0%"
    manager.click("#shares tr[data-cell='expand_and_leverage'] a")
    assert account_a.name in manager.inner_text("#accounts")
    manager.goto(f"{live_server.url}/accounts/{account_a.pk}/")
    assert "Retain → Expand and leverage" in manager.inner_text("#migrations").replace("\n", " ")
