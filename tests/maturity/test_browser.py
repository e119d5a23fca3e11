"""A CSM fills in a full assessment in headless Chromium and sees the CMI on the account page."""

import re

import pytest

from ..conftest import DECK_ANSWERS, wait_for


@pytest.mark.django_db(transaction=True)
def test_a_csm_assesses_an_account_in_the_browser(
    worker, login, live_server, bob, account_a, cmi_framework, in_tenant
):
    page = login("bob@alpha.test")
    page.goto(f"{live_server.url}/accounts/{account_a.pk}/")
    assert "Not assessed yet" in page.inner_text("#maturity")
    page.click("text=Start assessment")
    page.wait_for_selector("#assessment-form")
    for key, score in DECK_ANSWERS.items():
        page.check(f"#factor-{key} input[value='{score}']")
    page.fill("#factor-team_size textarea", "Two dedicated people, one part-time")
    page.click("button[name=save]")
    page.wait_for_selector("text=Draft saved.")
    assert page.is_checked("#factor-use_of_tools input[value='1']")
    page.click("button[name=submit]")
    page.wait_for_selector("#cmi")
    assert page.inner_text("#cmi strong") == "2.4"
    assert page.inner_text("#tier") == "Low"
    assert "2.3" in page.inner_text("#pillar-scores")

    def recomputed():  # the worker recomputes the account after the submission commits
        with in_tenant(account_a.organization):
            return type(account_a).objects.get(pk=account_a.pk).cmi is not None

    wait_for(recomputed)
    page.goto(f"{live_server.url}/accounts/{account_a.pk}/")
    assert page.inner_text("#account-cmi") == "2.4"
    assert page.inner_text("#account-tier") == "Low"
    page.wait_for_selector("#cmi-history .main-svg")  # plotly drew the history chart
    assert page.locator("#pillar-radar .main-svg").count() > 0
    ticks = page.locator("#cmi-history .xtick text").all_text_contents()
    assert ticks and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", tick) for tick in ticks), ticks


@pytest.mark.django_db(transaction=True)
def test_a_manager_changes_weights_in_the_browser(
    login, live_server, mike, cmi_framework, org_a, in_tenant
):
    page = login("mike@alpha.test")
    page.goto(f"{live_server.url}/maturity/frameworks/{cmi_framework.pk}/")
    page.click("text=Save framework")
    page.wait_for_selector("text=Saved.")
    assert page.inner_text("#weight-total") == "Total: 100%"
    page.fill("input[name='pillars-0-weight']", "35")
    # The total follows the typing, before anything is sent.
    assert page.inner_text("#weight-total") == "Total: 95%; the weights must total 100%."
    page.click("text=Save framework")
    page.wait_for_selector("#problems")
    assert "these total 95%" in page.inner_text("#problems")
    assert page.input_value("input[name='pillars-0-weight']") == "35"
    page.fill("input[name='pillars-1-weight']", "25")
    # The saved page may reload itself as soon as the recompute finishes: read the page the
    # redirect served rather than race that reload.
    with page.expect_response(
        lambda r: r.request.method == "GET" and r.url.endswith(f"/{cmi_framework.pk}/")
    ) as saved:
        page.click("text=Save framework")
    assert "Every account's CMI is being recomputed." in saved.value.text().replace("&#x27;", "'")
    with in_tenant(org_a):
        weights = dict(cmi_framework.current_version.pillars.values_list("key", "weight"))
    assert (weights["charter"], weights["people"]) == (35, 25)


@pytest.mark.django_db(transaction=True)
def test_a_partial_assessment_asks_for_confirmation_before_it_counts(
    login, live_server, bob, account_a, cmi_framework, org_a, in_tenant
):
    from maturity.models import Assessment

    page = login("bob@alpha.test")
    page.goto(f"{live_server.url}/accounts/{account_a.pk}/")
    page.click("text=Start assessment")
    for key in list(DECK_ANSWERS)[:5]:
        page.check(f"#factor-{key} input[value='4']")
    page.click("button[name=submit]")
    warning = page.wait_for_selector("#partial-warning")
    assert "Only 5 of 12 factors are scored." in warning.inner_text()
    assert page.is_checked(f"#factor-{next(iter(DECK_ANSWERS))} input[value='4']"), "kept as typed"
    with in_tenant(org_a):
        assert Assessment.objects.get().status == "draft"
    page.click("#confirm-partial")
    page.wait_for_selector("text=Assessment submitted.")
    with in_tenant(org_a):
        assert Assessment.objects.get().status == "submitted"


@pytest.mark.django_db(transaction=True)
def test_a_customer_answers_the_survey_on_a_phone(
    browser, live_server, bob, account_a, cmi_framework, org_a, in_tenant
):
    from maturity.models import SelfAssessment
    from maturity.surveys import survey_link_create, survey_link_token

    with in_tenant(org_a):
        link = survey_link_create(
            account=account_a, framework=cmi_framework, mode="simplified", valid_days=7, by=bob
        )
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/maturity/s/{survey_link_token(link)}/")
    answered = page.locator("[data-answered]")
    assert answered.inner_text() == "0 of 4 answered"
    page.click("button[type=submit]")  # no name: refused, and said at the top
    problems = page.wait_for_selector("#problems")
    assert "Please check your details below." in problems.inner_text()
    assert page.evaluate("document.activeElement.id") == "problems"
    page.fill("input[name=name]", "Dana")
    page.click("button[type=submit]")  # nothing answered
    problems = page.wait_for_selector("#problems >> text=Please answer at least one question.")
    assert page.input_value("input[name=name]") == "Dana"  # what was typed stays
    questions = page.locator("[data-question]")
    for index, label in enumerate(["4", "3", "5", "Unknown"]):
        choice = questions.nth(index).locator("label", has_text=label)
        box = choice.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44  # a thumb's target
        choice.tap()
        assert choice.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
    assert answered.inner_text() == "4 of 4 answered"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    page.click("button[type=submit]")
    page.wait_for_selector("text=Your answers were recorded.")
    with in_tenant(org_a):
        stored = SelfAssessment.objects.get()
    assert stored.respondent_name == "Dana"
    assert list(stored.answers.values()).count(None) == 1
    context.close()
