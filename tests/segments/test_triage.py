"""The dashboard opens with what to act on, or with first steps for an empty organization."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from health.models import HealthLevel

from ..factories import AccountFactory


@pytest.fixture
def levels(org_a, chs_card, in_tenant):
    with in_tenant(org_a):
        names = list(
            HealthLevel.objects.filter(scorecard=chs_card)
            .order_by("lower")
            .values_list("name", flat=True)
        )
    return names[0], names[-1]


@pytest.fixture
def portfolio(org_a, levels):
    low, high = levels
    today = timezone.localdate()
    made = {}
    for name, arr, level, renews, trend in [
        ("Big risk", 900, low, today + timedelta(days=200), 0),
        ("Small risk renewing", 100, low, today + timedelta(days=20), -2),
        ("Mid risk renewing", 500, low, today + timedelta(days=60), -15),
        ("Healthy falling", 800, high, today + timedelta(days=10), -25),
        ("Healthy", 700, high, None, 1),
        ("Lapsed renewal", 50, low, today - timedelta(days=5), 0),
    ]:
        made[name] = AccountFactory(
            organization=org_a,
            name=name,
            arr=arr,
            chs=30 if level == low else 80,
            chs_level=level,
            renewal_date=renews,
            chs_trend_30=trend,
        )
    return made


def names_of(section) -> list[str]:
    return [account["name"] for account in section["accounts"]]


@pytest.mark.django_db
def test_triage_lists_risk_by_arr_renewals_by_date_and_falls_by_size(portfolio, mike, client_for):
    triage = client_for(mike).get(reverse("segments:dashboard")).context["triage"]
    assert names_of(triage["at_risk"]) == [
        "Big risk",
        "Mid risk renewing",
        "Small risk renewing",
        "Lapsed renewal",
    ]
    assert triage["at_risk"]["arr"] == 1550
    assert names_of(triage["renewing"]) == ["Small risk renewing", "Mid risk renewing"]
    assert names_of(triage["falling"]) == ["Healthy falling", "Mid risk renewing"]


@pytest.mark.django_db
def test_triage_follows_the_dashboard_filters(portfolio, org_a, bob, mike, client_for, in_tenant):
    with in_tenant(org_a):
        portfolio["Big risk"].owner_csm = bob
        portfolio["Big risk"].save()
    page = client_for(mike).get(reverse("segments:dashboard"), {"owner_csm": bob.pk})
    assert names_of(page.context["triage"]["at_risk"]) == ["Big risk"]


@pytest.mark.django_db
def test_an_empty_organization_sees_first_steps_instead(mike, chs_card, client_for):
    page = client_for(mike).get(reverse("segments:dashboard"))
    html = page.content.decode()
    assert page.context["onboarding"] == {"accounts": False, "metrics": False, "assessment": False}
    assert 'id="onboarding"' in html and "Import your accounts" in html
    assert 'id="triage"' not in html


@pytest.mark.django_db(transaction=True)
def test_the_triage_panel_leads_to_an_account(
    login, live_server, mike, org_a, placed, in_tenant, worker
):
    # Scored for real: a worker in the session recomputes any account it is told about.
    from recompute.pipeline import accounts_recompute

    from ..conftest import uniform

    risky = AccountFactory(organization=org_a, name="Big risk", arr=900)
    healthy = AccountFactory(organization=org_a, name="Healthy", arr=100)
    placed(risky, nps=-50, answers=uniform(3))
    placed(healthy, nps=50, answers=uniform(3))
    with in_tenant(org_a):
        accounts_recompute()
    page = login("mike@alpha.test")
    page.wait_for_selector("#triage-at-risk")
    assert "Healthy" not in page.inner_text("#triage-at-risk")
    page.click("#triage-at-risk ol a:has-text('Big risk')")
    page.wait_for_url(f"{live_server.url}/accounts/{risky.pk}/")
    assert "Big risk" in page.inner_text("h1")
