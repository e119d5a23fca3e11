"""In headless Chromium: the account timeline, with notes and why the CHS changed."""

import pytest

from recompute.pipeline import accounts_recompute

from ..conftest import uniform, wait_for


@pytest.mark.django_db(transaction=True)
def test_a_note_with_a_mention_appears_in_the_timeline(login, live_server, bob, mike, account_a):
    page = login("bob@alpha.test")
    page.goto(f"{live_server.url}/accounts/{account_a.pk}/")
    page.fill("#note-form textarea", "Sponsor is leaving in March, @mike can you call?")
    page.click("#note-form button")
    page.wait_for_selector("text=Note added.")
    first = page.locator("#timeline-entries li").first
    assert "Sponsor is leaving in March, @mike can you call?" in first.inner_text()
    assert "bob@alpha.test" in first.inner_text()


@pytest.mark.django_db(transaction=True)
def test_a_metric_push_shows_why_the_chs_changed(
    worker, login, live_server, bob, org_a, account_a, placed, key_for, in_tenant
):
    placed(account_a, nps=60, answers=uniform(3))
    with in_tenant(org_a):
        accounts_recompute()
        before = type(account_a).objects.get(pk=account_a.pk).chs
    response = key_for(org_a).post(
        "/api/v1/health-metrics/",
        [{"account": account_a.pk, "metric": "nps", "value": -30}],
        format="json",
    )
    assert response.status_code == 201

    def recomputed():
        with in_tenant(org_a):
            return type(account_a).objects.get(pk=account_a.pk).chs != before

    wait_for(recomputed)  # the worker's recompute after the push committed
    page = login("bob@alpha.test")
    page.goto(f"{live_server.url}/accounts/{account_a.pk}/?timeline=chs")
    entry = page.locator("#timeline-entries li[data-kind=chs]").first
    text = entry.inner_text()
    assert f"CHS {before:.0f} →" in text
    assert "60 → -30" in text and "NPS" in text
