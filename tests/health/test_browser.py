"""In headless Chromium: the account page explains its health score."""

import pytest

from health.models import MetricValue
from recompute.pipeline import accounts_recompute


@pytest.mark.django_db(transaction=True)
def test_a_csm_opens_an_account_and_sees_the_breakdown(
    login, live_server, bob, org_a, account_a, chs_card, in_tenant
):
    from django.utils import timezone

    with in_tenant(org_a):
        for metric, number, text in [
            ("nps", -50.0, ""),
            ("active_users_pct", 70.0, ""),
            ("executive_relationship", None, "strong"),
        ]:
            MetricValue.objects.create(
                organization=org_a,
                account=account_a,
                metric=metric,
                number=number,
                text=text,
                observed_at=timezone.now(),
                source="api",
            )
        accounts_recompute()
    page = login("bob@alpha.test")
    page.goto(f"{live_server.url}/accounts/{account_a.pk}/")
    panel = page.locator("#health")
    assert page.inner_text("#account-chs") != "—"
    rows = page.locator("#chs-breakdown tbody tr")
    first = rows.nth(0).inner_text()
    assert "Survey (NPS)" in first, "the most negative driver comes first"
    assert "missing" in panel.inner_text()
    assert "Left out of the score" in page.inner_text("#chs-missing")
    assert page.inner_text("#chs-completeness") != "100%"
    page.wait_for_selector("#chs-trend .main-svg")

    page.select_option("#value-form select[name=measure]", label="Executive relationship")
    page.fill("#value-form input[name=value]", "weak")
    page.click("#value-form button")
    page.wait_for_selector("text=Executive relationship recorded.")


@pytest.mark.django_db(transaction=True)
def test_a_manager_adds_a_categorical_measure_through_the_widgets(
    worker, login, live_server, mike, org_a, account_a, chs_card, in_tenant
):
    from health.models import Measure
    from recompute.models import RecomputeRequest
    from recompute.services import recompute_progress

    from ..conftest import wait_for
    from ..recomputing import row_held

    def settled():
        """the activation's recompute is done"""
        with in_tenant(org_a):
            progress = recompute_progress(org_a.id)
            return not RecomputeRequest.objects.exists() and (progress or {}).get("finished")

    wait_for(settled)
    url = f"{live_server.url}/health/scorecards/{chs_card.pk}/"
    page = login("mike@alpha.test")
    page.goto(url)
    adoption = page.locator("section.measure-group", has=page.locator("h3", has_text="Adoption"))
    adoption.locator("button[data-add-measure]").click()
    card = adoption.locator("fieldset.measure").last
    card.locator("input[name$='-name']").fill("Executive sponsor")
    assert card.locator("legend").inner_text() == "Executive sponsor"
    card.locator("input[name$='-metric']").fill("exec_sponsor")
    card.locator("input[name$='-weight']").fill("10")
    card.locator("select[name$='-rule']").select_option("categorical")
    assert card.locator("[data-rule=linear]").is_hidden()
    rows = card.locator("[data-rule=categorical] tbody tr")
    rows.nth(0).locator("input[name$='_value']").fill("engaged")
    rows.nth(0).locator("input[name$='_points']").fill("150")  # the first mistake
    card.locator("button[data-add-row=category]").click()
    rows.nth(1).locator("input[name$='_value']").fill("absent")
    rows.nth(1).locator("input[name$='_points']").fill("0")
    # The second: 60 + 40 + 10. The group's total says so before anything is sent.
    total = adoption.locator(".total")
    assert total.inner_text() == "Measure weights: 110%; the weights must total 100%."

    page.click("text=Save scorecard")
    problems = page.wait_for_selector("#problems")
    assert "Not saved: 2 problems, each shown beside their fields." in problems.inner_text()
    card = adoption.locator("fieldset.measure").last  # the page the server drew
    assert "Category points lie between 0 and 100." in card.inner_text()
    assert "Adoption: measure weights must total 100%; these total 110%." in adoption.inner_text()
    assert card.locator("input[name$='-name']").input_value() == "Executive sponsor"
    assert card.locator("[data-rule=categorical]").is_visible()
    points = card.locator("[data-rule=categorical] input[name$='_points']").first
    assert points.input_value() == "150"

    points.fill("80")
    adoption.locator("fieldset.measure").first.locator("input[name$='-weight']").fill("50")
    assert total.inner_text() == "Measure weights: 100%"
    with row_held(org_a, "accounts_account", account_a.pk) as worker_waits:
        with page.expect_response(lambda r: r.request.method == "GET" and r.url == url) as saved:
            page.click("text=Save scorecard")
        flash = saved.value.text().replace("&#x27;", "'")
        assert "Saved. Every account's health score is being recomputed." in flash
        wait_for(worker_waits)  # the recompute has started and waits for the account's lock
        page.goto(url)
        page.wait_for_selector("#progress >> text=Recomputing accounts: 0% computed")
    # Released: the recompute ends, and the page reloads itself without the bar.
    page.wait_for_selector("#progress", state="detached", timeout=30000)
    with in_tenant(org_a):
        measures = list(
            Measure.objects.filter(group__key="adoption")
            .order_by("position")
            .values_list("key", "weight", "rule", "params")
        )
    assert measures[0][:2] == ("product_usage", 50)
    assert measures[2] == (
        "executive_sponsor",
        10,
        "categorical",
        {"map": {"engaged": 80.0, "absent": 0.0}},
    )
