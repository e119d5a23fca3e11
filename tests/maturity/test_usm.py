"""USM provider–customer fit (seeds 002 and 003)."""

import pytest
from django.urls import reverse

from maturity.services import (
    assessment_create,
    framework_create_from_template,
    framework_set_provider_level,
)
from maturity.usm import usm_fit


@pytest.mark.parametrize(
    ("provider", "customer", "kind", "offer"),
    [
        (3, 3, "balanced", 4),
        (4, 3, "balanced", 4),
        (4, 2, "provider_ahead", 3),
        (4, 1, "provider_ahead", 2),
        (1, 4, "customer_ahead", 5),
        (2, 3, "customer_ahead", 4),
        (5, 5, "balanced", 5),
    ],
)
def test_fit_is_balanced_at_the_same_level_or_one_above(provider, customer, kind, offer):
    fit = usm_fit(provider_level=provider, customer_level=customer)
    assert (fit.kind, fit.offer_level) == (kind, offer)


def test_the_advice_says_why():
    assert "shoving boxes" in usm_fit(provider_level=1, customer_level=4).advice
    assert "too big" in usm_fit(provider_level=4, customer_level=1).advice
    assert "next step" in usm_fit(provider_level=4, customer_level=3).advice


@pytest.mark.django_db
def test_the_account_page_shows_the_fit_and_the_offer_level(
    org_a, bob, account_a, in_tenant, client_for, mike
):
    with in_tenant(org_a):
        usm = framework_create_from_template(organization=org_a, template="usm")
        assessment_create(account=account_a, framework=usm, answers={"usm_level": 1}, by=bob)
    client_for(mike).post(
        reverse("maturity:provider_level", args=[usm.pk]), {"provider_level": "4"}
    )
    html = client_for(bob).get(reverse("accounts:detail", args=[account_a.pk])).content.decode()
    assert "Provider too far ahead" in html
    assert "Recommended offers: level 2, System-driven" in html
    with in_tenant(org_a):
        framework_set_provider_level(framework=usm, level=2)
    html = client_for(bob).get(reverse("accounts:detail", args=[account_a.pk])).content.decode()
    assert "Balanced" in html


@pytest.mark.django_db
def test_only_managers_set_the_provider_level(org_a, bob, in_tenant, client_for):
    with in_tenant(org_a):
        usm = framework_create_from_template(organization=org_a, template="usm")
    response = client_for(bob).post(
        reverse("maturity:provider_level", args=[usm.pk]), {"provider_level": "4"}
    )
    assert response.status_code == 403
    with in_tenant(org_a):
        usm.refresh_from_db()
    assert usm.provider_level is None
