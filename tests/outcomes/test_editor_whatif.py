"""The framework editor previews what its pillar weights would change, before a save: the
Score Lab's own what-if, on the weights as typed."""

import pytest
from django.urls import reverse

from recompute.pipeline import accounts_recompute
from segments.selectors import framework_whatif

from ..conftest import DECK_ANSWERS, uniform
from ..factories import AccountFactory

pytestmark = pytest.mark.django_db

TECHNOLOGY_HEAVY = {"charter": "10", "people": "10", "process": "10", "technology": "70"}


@pytest.fixture
def scored(org_a, placed, in_tenant):
    """Accounts whose CMI moves a lot when technology (where they score 1) weighs most."""
    answers = {**uniform(4), "use_of_tools": 1, "use_of_reports": 1, "environment_complexity": 1}
    for nps in (-40, 10, 60):
        placed(AccountFactory(organization=org_a), nps=nps, answers=answers)
    placed(AccountFactory(organization=org_a), nps=60, answers=DECK_ANSWERS)
    with in_tenant(org_a):
        accounts_recompute()


def test_the_preview_is_the_score_labs_what_if_of_the_typed_weights(
    scored, org_a, mike, client_for, in_tenant
):
    response = client_for(mike).get(reverse("outcomes:weights_preview"), TECHNOLOGY_HEAVY)
    with in_tenant(org_a):
        expected = framework_whatif({k: float(v) for k, v in TECHNOLOGY_HEAVY.items()})
    assert response.context["moves"] == expected
    assert expected["accounts"] == 4 and expected["band_changes"] > 0
    assert 'id="whatif-summary"' in response.content.decode()


def test_weights_that_do_not_total_100_are_said_so_and_a_csm_gets_403(
    scored, mike, bob, client_for
):
    url = reverse("outcomes:weights_preview")
    page = client_for(mike).get(url, {**TECHNOLOGY_HEAVY, "technology": "80"})
    assert "must total 100%" in page.content.decode() and page.context.get("moves") is None
    assert client_for(bob).get(url, TECHNOLOGY_HEAVY).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_manager_previews_typed_weights_in_the_framework_editor(
    scored, login, live_server, mike, cmi_framework
):
    page = login("mike@alpha.test")
    page.goto(f"{live_server.url}/maturity/frameworks/{cmi_framework.pk}/")
    rows = page.locator("#pillar-weights tr")
    for index, key in enumerate(["charter", "people", "process", "technology"]):
        assert rows.nth(index).locator("input[name$='-key']").input_value() == key
        rows.nth(index).locator("input[name$='-weight']").fill(TECHNOLOGY_HEAVY[key])
    page.click("button[data-whatif]")
    summary = page.wait_for_selector("#whatif #whatif-summary")
    assert "Of 4 active accounts" in summary.inner_text()
    assert page.locator("#framework-form .flash").count() == 0  # nothing was saved or refused
