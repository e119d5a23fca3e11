"""The customer's own survey through a signed link, and the perception gap it feeds."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maturity.models import SelfAssessment, SurveyLink
from maturity.services import assessment_create

from ..conftest import DECK_ANSWERS

pytestmark = pytest.mark.django_db

PILLAR_ANSWERS = {
    "score_charter": "4",
    "score_people": "4",
    "score_process": "3",
    "score_technology": "unknown",
}


@pytest.fixture
def link_url(bob, account_a, cmi_framework, client_for, org_a, in_tenant):
    response = client_for(bob).post(
        reverse("maturity:link_create", args=[account_a.pk]),
        {"framework": cmi_framework.pk, "mode": "simplified", "valid_days": 14},
        follow=True,
    )
    message = next(iter(response.context["messages"])).message
    return message.split(": ", 1)[1].removeprefix(settings.SITE_URL)


def stored(org, in_tenant):
    with in_tenant(org):
        return SelfAssessment.objects.count()


def test_a_customer_answers_without_logging_in(link_url, org_a, in_tenant, account_a):
    anonymous = Client()
    page = anonymous.get(link_url).content.decode()
    assert "Charter" in page and "Technology" in page and account_a.name in page
    response = anonymous.post(
        link_url, {"name": "Dana (customer)", "role": "COO", **PILLAR_ANSWERS}
    )
    assert "Thank you" in response.content.decode()
    with in_tenant(org_a):
        response_row = SelfAssessment.objects.get()
    assert response_row.pillar_scores == {
        "charter": 4.0,
        "people": 4.0,
        "process": 3.0,
        "technology": None,
    }
    assert response_row.cmi == pytest.approx((40 * 4 + 20 * 4 + 30 * 3) / 90)


def test_several_respondents_and_the_gap_per_pillar(
    link_url, org_a, in_tenant, account_a, bob, cmi_framework, client_for
):
    with in_tenant(org_a):
        assessment_create(account=account_a, framework=cmi_framework, answers=DECK_ANSWERS, by=bob)
    Client().post(link_url, {"name": "One", **PILLAR_ANSWERS})
    Client().post(link_url, {"name": "Two", **{**PILLAR_ANSWERS, "score_charter": "2"}})
    assert stored(org_a, in_tenant) == 2
    page = client_for(bob).get(reverse("accounts:detail", args=[account_a.pk]))
    gaps = {g.key: g for g in page.context["maturity"].gaps}
    assert gaps["charter"].customer == 3.0 and gaps["charter"].gap == pytest.approx(3.0 - 7 / 3)
    assert gaps["technology"].customer is None and gaps["technology"].gap is None
    assert "perception-gap" in page.content.decode()


def test_an_expired_link_shows_a_clear_page_and_stores_nothing(link_url, org_a, in_tenant):
    with in_tenant(org_a):
        SurveyLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    for response in (
        Client().get(link_url),
        Client().post(link_url, {"name": "X", **PILLAR_ANSWERS}),
    ):
        assert response.status_code == 410
        assert "has expired" in response.content.decode()
    assert stored(org_a, in_tenant) == 0


def test_a_withdrawn_link_stores_nothing(link_url, org_a, in_tenant, bob, client_for):
    with in_tenant(org_a):
        link = SurveyLink.objects.get()
    client_for(bob).post(reverse("maturity:link_revoke", args=[link.pk]))
    response = Client().post(link_url, {"name": "X", **PILLAR_ANSWERS})
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    assert stored(org_a, in_tenant) == 0


@pytest.mark.parametrize("tamper", [lambda t: t[:-2] + "xx", lambda t: "nonsense", lambda t: t[1:]])
def test_a_tampered_link_shows_a_clear_page(tamper, link_url, org_a, in_tenant):
    token = link_url.rstrip("/").rsplit("/", 1)[1]
    url = reverse("maturity:survey", args=[tamper(token)])
    response = Client().post(url, {"name": "X", **PILLAR_ANSWERS})
    assert response.status_code == 404 and "not valid" in response.content.decode()
    assert stored(org_a, in_tenant) == 0


def test_a_link_rewritten_to_name_another_organization_is_refused(
    link_url, org_b, account_b, carol, in_tenant
):
    import base64
    import json

    from maturity.services import framework_create_from_template
    from maturity.surveys import survey_link_create

    with in_tenant(org_b):
        framework = framework_create_from_template(organization=org_b, template="cmi")
        theirs = survey_link_create(
            account=account_b, framework=framework, mode="full", valid_days=3, by=carol
        )
    token = link_url.rstrip("/").rsplit("/", 1)[1]
    payload, rest = token.split(":", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(o=str(org_b.id), l=theirs.pk)
    forged = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    url = reverse("maturity:survey", args=[forged.decode().rstrip("=") + ":" + rest])
    response = Client().post(url, {"name": "X", **PILLAR_ANSWERS})
    assert response.status_code == 404
    assert stored(org_b, in_tenant) == 0


def test_a_full_survey_asks_every_factor(bob, account_a, cmi_framework, client_for):
    response = client_for(bob).post(
        reverse("maturity:link_create", args=[account_a.pk]),
        {"framework": cmi_framework.pk, "mode": "full", "valid_days": 3},
        follow=True,
    )
    url = next(iter(response.context["messages"])).message.split(": ", 1)[1]
    page = Client().get(url.removeprefix(settings.SITE_URL)).content.decode()
    assert "Knowledge Management" in page and "Complexity of Environment" in page


def test_a_survey_opened_by_a_member_of_another_organization_shows_nothing_of_theirs(
    link_url, carol, client_for, org_a, org_b, in_tenant
):
    """The survey renders in the link's tenant (A): a signed-in member of B must see it as a
    stranger does, with no navigation, task counts or organization of B's drawn in A."""
    visitor = client_for(carol)
    page = visitor.get(link_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["membership"] is None and "task_counts" not in page.context
    for trace in ('id="nav-tasks"', org_b.name, carol.email, "Log out"):
        assert trace not in html
    assert visitor.post(link_url, {"name": "Pat", **PILLAR_ANSWERS}).status_code == 200
    assert stored(org_a, in_tenant) == 1 and stored(org_b, in_tenant) == 0
    assert "_auth_user_id" in visitor.session  # the visitor is still signed in to B


def _link_in(text: str) -> int | None:
    """The survey link id that the first survey URL in `text` names (tokens carry the
    moment they were signed, so the same link's URL differs from second to second)."""
    import re

    from maturity.surveys import survey_link_read

    found = re.search(re.escape(settings.SITE_URL) + r"/maturity/s/([^/\s\"]+)/", text)
    return survey_link_read(found.group(1)).link_id if found else None


def test_the_links_stay_listed_with_their_state_and_url(
    link_url, bob, account_a, client_for, org_a, in_tenant
):
    client = client_for(bob)
    page = client.get(reverse("accounts:detail", args=[account_a.pk])).content.decode()
    table = page[page.index('id="survey-links"') :].split("</table>")[0]
    with in_tenant(org_a):
        link = SurveyLink.objects.get()
    assert _link_in(table) == link.pk, "the link can be found again and copied"
    assert 'badge">open<' in table and "data-copy=" in table
    client.post(reverse("maturity:link_revoke", args=[link.pk]))
    page = client.get(reverse("accounts:detail", args=[account_a.pk])).content.decode()
    table = page[page.index('id="survey-links"') :].split("</table>")[0]
    assert "withdrawn" in table and _link_in(table) is None, "a withdrawn link is not offered"
    with in_tenant(org_a):
        SurveyLink.objects.update(revoked_at=None, expires_at=timezone.now() - timedelta(1))
    page = client.get(reverse("accounts:detail", args=[account_a.pk])).content.decode()
    assert "expired" in page[page.index('id="survey-links"') :].split("</table>")[0]


def test_a_csm_emails_the_link_to_a_contact(
    link_url, bob, org_a, client_for, mailoutbox, in_tenant
):
    with in_tenant(org_a):
        link = SurveyLink.objects.get()
    client = client_for(bob)
    url = reverse("maturity:link_email", args=[link.pk])
    response = client.post(url, {"email": "dana@customer.test"}, follow=True)
    assert "emailed to dana@customer.test" in response.content.decode()
    [mail] = mailoutbox
    assert mail.to == ["dana@customer.test"]
    assert _link_in(mail.body) == link.pk

    response = client.post(url, {"email": "not an address"}, follow=True)
    assert "The link was not sent: Enter a valid email address." in response.content.decode()
    client.post(reverse("maturity:link_revoke", args=[link.pk]))
    response = client.post(url, {"email": "dana@customer.test"}, follow=True)
    assert "was withdrawn" in response.content.decode()
    assert len(mailoutbox) == 1, "nothing sent for a bad address or a withdrawn link"


def test_another_organizations_link_cannot_be_emailed(
    link_url, carol, org_a, client_for, mailoutbox, in_tenant
):
    with in_tenant(org_a):
        link = SurveyLink.objects.get()
    response = client_for(carol).post(
        reverse("maturity:link_email", args=[link.pk]), {"email": "x@y.test"}
    )
    assert response.status_code == 404 and mailoutbox == []


def test_the_survey_shows_what_1_and_5_mean(link_url, org_a, in_tenant, cmi_framework):
    from maturity.models import Factor

    page = Client().get(link_url).content.decode()
    with in_tenant(org_a):
        charter = Factor.objects.filter(
            pillar__key="charter", pillar__version__framework=cmi_framework
        )
        lows, highs = (
            list(charter.values_list("low", flat=True)),
            list(charter.values_list("high", flat=True)),
        )
    assert "1 · Low" in page and "5 · High" in page
    from django.utils.html import escape

    assert all(escape(text) in page for text in lows + highs)
