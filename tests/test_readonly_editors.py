"""Roles that cannot edit a framework or a scorecard read it as text, not as a form."""

import re
from html import unescape

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _controls(html: str) -> list[str]:
    main = html.split("<main>", 1)[1].split("</main>", 1)[0]
    return re.findall(r"<(?:input|textarea|select)\b(?![^>]*type=\"hidden\")[^>]*>", main)


@pytest.mark.parametrize("who", ["vera", "bob"])
def test_a_viewer_or_csm_reads_the_framework(
    who, request, org_a, cmi_framework, client_for, in_tenant
):
    user = request.getfixturevalue(who)
    url = reverse("maturity:framework", args=[cmi_framework.pk])
    html = unescape(client_for(user).get(url).content.decode())
    assert 'id="framework-readonly"' in html and "Save framework" not in html
    assert _controls(html) == []
    with in_tenant(org_a):
        process = cmi_framework.current.pillars.get(key="process")
        factor = process.factors.first()
    assert f"{float(process.weight):g}%" in html  # the weights, as text
    assert factor.name in html and factor.low in html and factor.high in html


@pytest.mark.parametrize("who", ["vera", "bob"])
def test_a_viewer_or_csm_reads_the_scorecard_with_its_rules_in_words(
    who, request, chs_card, client_for
):
    user = request.getfixturevalue(who)
    url = reverse("health:scorecard", args=[chs_card.pk])
    html = unescape(client_for(user).get(url).content.decode())
    assert 'id="scorecard-readonly"' in html and "Save scorecard" not in html
    assert _controls(html) == []
    assert "0 points at" in html or "points;" in html  # a linear or banded rule, in words
    assert '{"bands"' not in html


def test_a_manager_still_gets_the_editors(mike, cmi_framework, chs_card, client_for):
    client = client_for(mike)
    for url in (
        reverse("maturity:framework", args=[cmi_framework.pk]),
        reverse("health:scorecard", args=[chs_card.pk]),
    ):
        html = client.get(url).content.decode()
        assert "readonly" not in html.split("<main>")[1] and _controls(html), url
