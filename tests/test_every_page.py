"""Every page of the README's table, as every role, on a desktop and on a phone: the page never
scrolls sideways, and axe-core finds no serious or critical WCAG 2.1 AA violation."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import ImportJob
from health.models import Scorecard
from integrations.models import WebhookDelivery
from integrations.services import subscription_create
from maturity.services import assessment_start
from maturity.surveys import survey_link_create, survey_link_token
from playbooks.models import PlaybookTask
from playbooks.services import playbook_defaults_install, run_start
from recompute.pipeline import accounts_recompute

from .conftest import BROWSER_ARGS, DECK_ANSWERS

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
ROLES = {
    "owner": "alice@alpha.test",
    "manager": "mike@alpha.test",
    "csm": "bob@alpha.test",
    "viewer": "vera@alpha.test",
}
# What axe-core counts as an AA failure here: the WCAG 2.0/2.1 A and AA rules.
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => {
      const where = v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ");
      return `${v.id} (${v.impact}): ${where}`;
    });
}"""
WIDEST = """(width) => {
  const right = (e) => e.getBoundingClientRect().right;
  const clipped = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = (e) => right(e) > width + 1;
  const e = [...document.querySelectorAll("body *")]
    .filter((e) => wide(e) && (!clipped(e) || getComputedStyle(e).position === "absolute"))
    .sort((a, b) => right(b) - right(a))[0];
  return e ? `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${e.className}` : "?";
}"""
# Swagger UI (a library's page, drawn by its own script) nests its operations' buttons; the
# rest of /api/v1/docs/ is held to the same rules as Ascend's own pages.
EXEMPT = {"/api/v1/docs/": {"nested-interactive"}}
WIDTH = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


@pytest.fixture
def furnished(org_a, alice, mike, bob, vera, account_a, placed, cmi_framework, in_tenant):
    """An organization with one of everything a page can show."""
    placed(account_a, nps=-20, answers=DECK_ANSWERS)
    with in_tenant(org_a):
        accounts_recompute(account_ids=[account_a.pk])
        playbooks = playbook_defaults_install(organization=org_a)
        run = run_start(playbook=playbooks[0], account=account_a, by=mike)
        task = PlaybookTask.objects.filter(run=run).first()
        draft = assessment_start(account=account_a, framework=cmi_framework, by=bob)
        link = survey_link_create(
            account=account_a, framework=cmi_framework, mode="simple", valid_days=7, by=bob
        )
        hook = subscription_create(
            organization=org_a, url="https://hooks.example/ascend", events=["account.migrated"]
        )
        delivery = WebhookDelivery.objects.create(
            organization=org_a, subscription=hook, event="account.migrated", payload={"a": 1}
        )
        job = ImportJob.objects.create(organization=org_a, filename="accounts.csv", content="x")
        scorecard = Scorecard.objects.get(organization=org_a)
        a = account_a.pk
        pages = [
            "/segments/",
            "/segments/?view=2x2",
            "/segments/grid/",
            "/accounts/",
            "/accounts/new/",
            "/accounts/import/",
            f"/accounts/import/{job.pk}/",
            f"/accounts/{a}/",
            f"/accounts/{a}/edit/",
            f"/accounts/{a}/delete/",
            "/maturity/frameworks/",
            f"/maturity/frameworks/{cmi_framework.pk}/",
            f"/maturity/assessments/{draft.pk}/",
            "/maturity/assessments/import/",
            "/health/scorecards/",
            f"/health/scorecards/{scorecard.pk}/",
            "/health/metrics/import/",
            "/playbooks/",
            "/playbooks/new/",
            f"/playbooks/{playbooks[0].pk}/",
            f"/playbooks/{playbooks[0].pk}/edit/",
            f"/playbooks/runs/{run.pk}/",
            "/playbooks/tasks/",
            f"/playbooks/tasks/{task.pk}/close/",
            "/outcomes/lab/",
            "/outcomes/lab/weights/",
            "/outcomes/lab/scorecard/",
            "/outcomes/import/",
            f"/outcomes/accounts/{a}/record/",
            "/org/members/",
            "/org/api-keys/",
            "/org/webhooks/",
            "/org/audit/",
            "/org/provisioning/",
            f"/org/webhooks/{hook.pk}/",
            f"/org/webhooks/deliveries/{delivery.pk}/",
            "/password_change/",
            "/api/v1/docs/",
        ]
        anonymous = [
            "/login/",
            "/password_reset/",
            "/sso/",
            f"/maturity/s/{survey_link_token(link)}/",
        ]
    return {"pages": pages, "anonymous": anonymous, "expires": timezone.now() + timedelta(days=1)}


def _problems(page, url, width) -> list[str]:
    """What is wrong with the page now loaded: its width and its axe violations."""
    problems = []
    if page.locator("#segment-metrics-box").count():  # the dashboard fills this in after load
        page.wait_for_function(
            "!document.getElementById('segment-metrics-box').textContent.includes('Computing')"
        )
    wide = page.evaluate(WIDTH)
    if wide > width:
        culprit = page.evaluate(WIDEST, width)
        problems.append(f"{url}: {wide} px wide on a {width} px screen (widest: {culprit})")
    page.add_script_tag(path=str(AXE))
    exempt = EXEMPT.get(url, set())
    problems += [f"{url}: {v}" for v in page.evaluate(AXE_RUN) if v.split()[0] not in exempt]
    return problems


@pytest.fixture
def screen(browser, live_server):
    """`screen(size, email=None)`: a page at that size, signed in when given an email. Pages
    keep their CSP; axe is injected past it (`bypass_csp`), as a browser extension would be."""
    contexts = []

    def open_at(size, email=None):
        width, height = SIZES[size]
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20000)
        if email:
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", email)
            page.fill("#id_password", "pw-for-tests")
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/segments/")
        return page

    yield open_at
    for context in contexts:
        context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_the_screen_and_passes_axe(role, size, furnished, screen, live_server):
    assert BROWSER_ARGS  # the session browser runs with the machine's headless flags
    page = screen(size, ROLES[role])
    width = SIZES[size][0]
    problems = []
    if size == "desktop":  # the navigation fits on one line at 1440 px, for owners too
        page.goto(live_server.url + "/accounts/")
        rows = page.evaluate(
            "new Set([...document.querySelectorAll('.topbar nav > *, .topbar .who > *')]"
            ".map(e => Math.round(e.getBoundingClientRect().top / 10))).size"
        )
        assert rows == 1, f"the top bar wraps onto {rows} lines"
    for url in furnished["pages"]:
        response = page.goto(live_server.url + url)
        assert response is not None and response.status in {200, 403}, (url, response)
        problems += _problems(page, url, width)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
def test_pages_without_a_login_fit_and_pass_axe(size, furnished, screen, live_server):
    page = screen(size)
    problems = []
    for url in furnished["anonymous"]:
        response = page.goto(live_server.url + url)
        assert response is not None and response.status == 200, url
        problems += _problems(page, url, SIZES[size][0])
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_the_favicon_is_served_where_browsers_ask_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    assert 'rel="icon"' in client.get("/login/").content.decode()
