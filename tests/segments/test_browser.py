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


@pytest.mark.django_db(transaction=True)
def test_the_quadrant_names_its_axes_and_a_dot_opens_its_account(
    login, live_server, mike, org_a, account_a, placed, in_tenant
):
    placed(account_a, nps=50, answers=uniform(5))
    with in_tenant(org_a):
        accounts_recompute()
        account_a.refresh_from_db()
    page = login("mike@alpha.test")
    page.goto(f"{live_server.url}/segments/")
    page.wait_for_selector("#quadrant .main-svg")
    assert "Customer Maturity Index" in page.text_content("#quadrant .g-xtitle")
    assert "Customer Health Score" in page.text_content("#quadrant .g-ytitle")
    # Where plotly drew the account's dot, in page pixels; a real mouse click on it.
    x, y = page.evaluate(
        """([cmi, chs]) => {
            const gd = document.getElementById("quadrant"), full = gd._fullLayout;
            const box = gd.getBoundingClientRect();
            return [box.left + full._size.l + full.xaxis.l2p(cmi),
                    box.top + full._size.t + full.yaxis.l2p(chs)];
        }""",
        [float(account_a.cmi), float(account_a.chs)],
    )
    page.mouse.move(x, y)
    assert "Acme (A)" in page.wait_for_selector("#quadrant .hovertext").text_content()
    page.mouse.click(x, y)
    page.wait_for_url(f"{live_server.url}/accounts/{account_a.pk}/")
