"""Assessments in the browser and through the API, and framework versions."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Account
from maturity.models import Answer, Assessment, Factor, Framework
from maturity.services import (
    assessment_create,
    framework_update,
    version_spec,
)
from recompute.pipeline import accounts_recompute
from tenancy.services import api_key_create

from ..conftest import DECK_ANSWERS, formset_data
from ..problems import errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_a(org_a, in_tenant):
    with in_tenant(org_a):
        key = api_key_create(organization=org_a, name="CRM")[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_the_api_scores_the_decks_example(api_a, account_a, cmi_framework):
    response = api_a.post(
        "/api/v1/assessments/", {"account": account_a.pk, "answers": DECK_ANSWERS}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: round(v, 1) for k, v in body["pillar_scores"].items()} == {
        "charter": 2.3,
        "people": 4.0,
        "process": 1.7,
        "technology": 1.3,
    }
    assert round(body["cmi"], 1) == 2.4 and body["tier"] == "Low"
    assert body["framework"] == cmi_framework.pk and body["status"] == "submitted"
    listed = api_a.get(f"/api/v1/assessments/?account={account_a.pk}").json()["results"]
    assert [a["id"] for a in listed] == [body["id"]]


def test_a_past_assessment_loads_with_its_date_and_the_latest_stays_current(
    api_a, account_a, cmi_framework, org_a, in_tenant
):
    from datetime import timedelta

    from django.utils import timezone

    from ..conftest import uniform

    now = api_a.post(
        "/api/v1/assessments/", {"account": account_a.pk, "answers": uniform(4)}, format="json"
    )
    past = api_a.post(
        "/api/v1/assessments/",
        {"account": account_a.pk, "answers": uniform(2), "submitted_at": "2025-03-31T09:00:00Z"},
        format="json",
    )
    assert now.status_code == past.status_code == 201
    assert past.json()["submitted_at"] == "2025-03-31T09:00:00Z"
    later = (timezone.now() + timedelta(days=1)).isoformat()
    refused = api_a.post(
        "/api/v1/assessments/",
        {"account": account_a.pk, "answers": uniform(1), "submitted_at": later},
        format="json",
    )
    assert refused.status_code == 409
    assert errors(refused) == {"submitted_at": ["This is in the future."]}
    with in_tenant(org_a):
        accounts_recompute()
        assert Assessment.objects.filter(account=account_a).count() == 2
        assert Account.objects.get(pk=account_a.pk).cmi == pytest.approx(4)  # the latest


def test_the_api_names_each_bad_answer(api_a, account_a, cmi_framework):
    response = api_a.post(
        "/api/v1/assessments/",
        {"account": account_a.pk, "answers": {"clarity_of_charter": 7, "team_size": 0}},
        format="json",
    )
    assert response.status_code == 400
    assert set(errors(response)) == {"answers/clarity_of_charter", "answers/team_size"}
    response = api_a.post(
        "/api/v1/assessments/",
        {"account": account_a.pk, "answers": {"bogus_factor": 3, "team_size": 3}},
        format="json",
    )
    assert response.status_code == 404  # names a factor this organization does not have
    assert errors(response) == {"answers/bogus_factor": ["Not a factor of this framework."]}


def test_the_api_refuses_another_organizations_account(api_a, account_b, cmi_framework):
    response = api_a.post(
        "/api/v1/assessments/", {"account": account_b.pk, "answers": DECK_ANSWERS}, format="json"
    )
    assert response.status_code == 404 and "account" in errors(response)


def test_all_unknown_is_refused(api_a, account_a, cmi_framework):
    answers = {key: None for key in DECK_ANSWERS}
    response = api_a.post(
        "/api/v1/assessments/", {"account": account_a.pk, "answers": answers}, format="json"
    )
    assert response.status_code == 400
    assert "at least one" in str(errors(response)["answers"])


def test_frameworks_api_lists_pillars_factor_keys_and_weights(api_a, cmi_framework):
    [framework] = api_a.get("/api/v1/frameworks/").json()["results"]
    assert [(p["key"], p["weight"]) for p in framework["pillars"]] == [
        ("charter", "40.00"),
        ("people", "20.00"),
        ("process", "30.00"),
        ("technology", "10.00"),
    ]
    assert [f["key"] for p in framework["pillars"] for f in p["factors"]] == list(DECK_ANSWERS)


def test_a_csm_drafts_then_submits_in_the_browser(
    bob, account_a, cmi_framework, client_for, org_a, in_tenant
):
    client = client_for(bob)
    response = client.post(
        reverse("maturity:assessment_new", args=[account_a.pk]), {"framework": cmi_framework.pk}
    )
    url = response["Location"]
    form = {f"score_{k}": str(v) for k, v in DECK_ANSWERS.items()}
    form["comment_team_size"] = "Three people, one part-time"
    form["score_use_of_reports"] = "unknown"
    assert client.post(url, {**form, "save": "1"}).status_code == 302
    with in_tenant(org_a):
        assessment = Assessment.objects.get()
        assert assessment.status == "draft"
        assert assessment.answers.get(factor_key="team_size").comment.startswith("Three")
    page = client.get(url).content.decode()
    assert 'value="unknown" checked' in page or "checked" in page
    warned = client.post(url, {**form, "submit": "1"}).content.decode()
    assert "Only 11 of 12 factors are scored." in warned
    result = client.post(url, {**form, "confirm_partial": "1"}, follow=True).content.decode()
    assert "Assessment submitted." in result and "first assessment" in result
    with in_tenant(org_a):
        assessment.refresh_from_db()
    assert assessment.status == "submitted" and assessment.completeness == pytest.approx(11 / 12)


def _draft_url(client, account, framework) -> str:
    new = reverse("maturity:assessment_new", args=[account.pk])
    return client.post(new, {"framework": framework.pk})["Location"]


def test_a_partial_submit_says_what_is_missing_and_asks_to_confirm(
    bob, account_a, cmi_framework, client_for, org_a, in_tenant
):
    client = client_for(bob)
    url = _draft_url(client, account_a, cmi_framework)
    answered = dict(list(DECK_ANSWERS.items())[:5])
    form = {f"score_{key}": str(score) for key, score in answered.items()}
    form["score_use_of_reports"] = "unknown"
    page = client.post(url, {**form, "submit": "1"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Only 5 of 12 factors are scored." in html
    with in_tenant(org_a):
        names = dict(
            Factor.objects.filter(pillar__version__framework=cmi_framework).values_list(
                "key", "name"
            )
        )
        assessment = Assessment.objects.get()
        saved = assessment.answers.count()
    unanswered = [
        names[key] for key in DECK_ANSWERS if key not in form and f"score_{key}" not in form
    ]
    assert f"Not answered yet: {', '.join(unanswered)}." in html
    assert f"Answered Unknown: {names['use_of_reports']}." in html
    assert assessment.status == "draft", "nothing is submitted before the CSM confirms"
    assert saved == 6, "what was chosen is saved as the draft"
    assert 'value="3" id="id_score_' in html and "checked" in html, "the choices stay ticked"

    client.post(url, {**form, "confirm_partial": "1"})
    with in_tenant(org_a):
        assessment.refresh_from_db()
    assert assessment.status == "submitted" and assessment.completeness == pytest.approx(5 / 12)


def test_a_complete_submit_needs_no_confirmation(
    bob, account_a, cmi_framework, client_for, org_a, in_tenant
):
    client = client_for(bob)
    url = _draft_url(client, account_a, cmi_framework)
    form = {f"score_{key}": str(score) for key, score in DECK_ANSWERS.items()}
    assert client.post(url, {**form, "submit": "1"}).status_code == 302
    with in_tenant(org_a):
        assert Assessment.objects.get().status == "submitted"


def test_a_drafts_unanswered_factors_come_back_unanswered_not_unknown(
    bob, account_a, cmi_framework, client_for, org_a, in_tenant
):
    client = client_for(bob)
    url = _draft_url(client, account_a, cmi_framework)
    form = {
        "score_team_size": "4",
        "score_use_of_reports": "unknown",
        "comment_use_of_tools": "Ask their ops lead next week",
    }
    client.post(url, {**form, "save": "1"})
    html = client.get(url).content.decode()

    def checked(key: str) -> list[str]:
        return re.findall(rf'name="score_{key}" value="(\w+)"[^>]*checked', html)

    assert checked("team_size") == ["4"]
    assert checked("use_of_reports") == ["unknown"]
    assert checked("use_of_tools") == [], "not answered yet is not Unknown"
    assert "Ask their ops lead next week" in html, "a comment typed before a score is kept"
    with in_tenant(org_a):
        assert Answer.objects.count() == 2


def test_start_assessment_reopens_the_accounts_draft(
    bob, account_a, cmi_framework, client_for, org_a, in_tenant
):
    client = client_for(bob)
    first = _draft_url(client, account_a, cmi_framework)
    assert _draft_url(client, account_a, cmi_framework) == first
    with in_tenant(org_a):
        assert Assessment.objects.filter(status="draft").count() == 1
        assessment_create(account=account_a, framework=cmi_framework, answers=DECK_ANSWERS, by=bob)
    # A submitted assessment is not a draft: the one still open is reopened, never it.
    assert _draft_url(client, account_a, cmi_framework) == first


def test_a_bad_score_is_shown_and_the_other_answers_kept(bob, account_a, cmi_framework, client_for):
    client = client_for(bob)
    url = client.post(
        reverse("maturity:assessment_new", args=[account_a.pk]), {"framework": cmi_framework.pk}
    )["Location"]
    page = client.post(url, {"score_team_size": "9", "score_use_of_tools": "4", "submit": "1"})
    html = page.content.decode()
    assert page.status_code == 200 and "Choose 1 to 5, or Unknown." in html
    assert 'value="4" id="id_score_use_of_tools_3" checked' in html


def test_submitted_assessments_cannot_change(
    bob, account_a, cmi_framework, client_for, org_a, in_tenant
):
    with in_tenant(org_a):
        assessment = assessment_create(
            account=account_a, framework=cmi_framework, answers=DECK_ANSWERS, by=bob
        )
    url = reverse("maturity:assessment", args=[assessment.pk])
    client_for(bob).post(url, {"score_team_size": "1", "submit": "1"})
    with in_tenant(org_a):
        assert Assessment.objects.get().cmi == assessment.cmi


def test_a_viewer_and_another_csm_cannot_assess(vera, bob, mike, org_a, cmi_framework, client_for):
    from ..factories import AccountFactory

    other = AccountFactory(organization=org_a, owner_csm=mike)
    url = reverse("maturity:assessment_new", args=[other.pk])
    assert client_for(vera).post(url, {"framework": cmi_framework.pk}).status_code == 403
    assert client_for(bob).post(url, {"framework": cmi_framework.pk}).status_code == 403


def test_editing_a_used_framework_makes_a_version_and_keeps_old_scores(
    account_a, cmi_framework, org_a, in_tenant, bob, django_capture_on_commit_callbacks
):
    with in_tenant(org_a):
        old = assessment_create(
            account=account_a, framework=cmi_framework, answers=DECK_ANSWERS, by=bob
        )
        accounts_recompute().changed["cmi"]
        spec = version_spec(cmi_framework.current_version)
        for pillar, weight in zip(spec["pillars"], (10, 20, 30, 40), strict=True):
            pillar["weight"] = weight
        with django_capture_on_commit_callbacks() as callbacks:
            change = framework_update(framework=cmi_framework, spec=spec, by=bob)
        assert change.new_version and change.rescored and len(callbacks) == 1
        old.refresh_from_db()
        assert round(old.cmi, 1) == 2.4 and old.version.number == 1
        framework = Framework.objects.get()
        assert framework.current_version.number == 2
        accounts_recompute().changed["cmi"]
        account = Account.objects.get(pk=account_a.pk)
    expected = (10 * 7 / 3 + 20 * 4 + 30 * 5 / 3 + 40 * 4 / 3) / 100
    assert account.cmi == pytest.approx(expected)


def test_editing_an_unused_framework_changes_it_in_place(cmi_framework, org_a, in_tenant, bob):
    with in_tenant(org_a):
        spec = version_spec(cmi_framework.current_version)
        spec["pillars"][0]["factors"][0]["question"] = "Reworded?"
        change = framework_update(framework=cmi_framework, spec=spec, by=bob)
        assert not change.new_version and not change.rescored
        assert cmi_framework.versions.count() == 1


def test_the_browser_editor_refuses_bad_weights_and_tiers_and_keeps_the_input(
    mike, cmi_framework, client_for, org_a, in_tenant
):
    client = client_for(mike)
    url = reverse("maturity:framework", args=[cmi_framework.pk])
    page = client.get(url)
    data = formset_data(page.context, "pillar_set", "factor_set", "tier_set")
    data["pillars-3-weight"] = "15"
    data["tiers-1-lower"] = "3.9"
    response = client.post(url, data)
    html = response.content.decode()
    assert "these total 105%" in html
    assert "must increase" in html
    assert 'value="15"' in html and 'value="3.9"' in html
    with in_tenant(org_a):
        assert cmi_framework.versions.get().pillars.get(key="technology").weight == 10


def test_creating_in_one_go_stores_what_starting_answering_and_submitting_store(
    org_a, account_a, cmi_framework, bob, in_tenant
):
    """The API's single-insert path and the browser's three steps agree on every stored
    field, on random answers (unknowns and partial ones included) and on what they refuse."""
    import random

    from django.core.exceptions import ValidationError
    from django.db import transaction

    from maturity.services import assessment_save_answers, assessment_start, assessment_submit

    rng = random.Random(8)
    keys = list(DECK_ANSWERS)
    fields = ["status", "version_id", "cmi", "tier", "pillar_scores", "completeness", "is_partial"]

    def stored(assessment):
        assessment = Assessment.objects.get(pk=assessment.pk)
        answers = set(assessment.answers.values_list("factor_key", "score", "comment"))
        return {f: getattr(assessment, f) for f in fields} | {"answers": answers}

    def in_steps(answers, comments):
        assessment = assessment_start(account=account_a, framework=cmi_framework, by=bob)
        assessment_save_answers(assessment=assessment, answers=answers, comments=comments)
        return assessment_submit(assessment=assessment, by=bob)

    def in_one_go(answers, comments):
        return assessment_create(
            account=account_a, framework=cmi_framework, answers=answers, comments=comments, by=bob
        )

    def refusal(path, answers):
        with pytest.raises(ValidationError) as refused, transaction.atomic():
            path(answers, {})
        return refused.value.messages

    with in_tenant(org_a):
        for _ in range(25):
            answers = {
                key: rng.choice([None, 1, 2, 3, 4, 5])
                for key in rng.sample(keys, rng.randint(1, len(keys)))
            }
            comments = {key: f"why {key}" for key in answers if rng.random() < 0.3}
            assert stored(in_one_go(answers, comments)) == stored(in_steps(answers, comments))
        for bad in (
            {"nonsense": 3},
            {keys[0]: 6, keys[1]: 0},
            {keys[0]: True},
            {keys[0]: 2.5},
            {keys[0]: None, keys[1]: None},
        ):
            assert refusal(in_one_go, bad) == refusal(in_steps, bad) != []


@pytest.mark.parametrize("framework", ["abc", "", "1" * 30, "-1"])
def test_a_new_assessment_on_a_framework_that_is_no_id_is_a_404_not_a_500(
    framework, bob, account_a, cmi_framework, client_for
):
    url = reverse("maturity:assessment_new", args=[account_a.pk])
    assert client_for(bob).post(url, {"framework": framework}).status_code == 404
