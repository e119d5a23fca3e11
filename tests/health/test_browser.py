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
