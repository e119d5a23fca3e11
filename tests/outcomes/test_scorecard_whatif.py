"""What a scorecard candidate would change, before a save: the scorecard weights page (the
calibrated proposal or a manager's edit of it, applied with "Use these weights") and the
scorecard editor's preview. The what-if is the recompute's own scoring, so it foretells
exactly what saving does."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from health.forms import ScorecardEditor
from health.models import MetricValue, Scorecard
from health.scoring import card_from_spec
from health.selectors import scorecard_spec
from outcomes import services
from recompute.pipeline import accounts_recompute
from segments.selectors import scorecard_whatif

from ..conftest import uniform
from ..factories import AccountFactory

pytestmark = pytest.mark.django_db

# Satisfaction down, financial up: an account with a glowing NPS and an overdue bill drops
# from Medium (20×100 / 45 ≈ 44) to Low (5×100 / 45 ≈ 11).
CANDIDATE = {"adoption": 30, "engagement": 25, "financial": 40, "satisfaction": 5}


@pytest.fixture
def scored(org_a, placed, in_tenant):
    """Two accounts that the candidate moves down a level and one it leaves where it is."""
    accounts = []
    for overdue in (60, 60, 0):
        account = AccountFactory(organization=org_a, arr=1000 + overdue)
        placed(account, nps=50, answers=uniform(4))
        with in_tenant(org_a):
            MetricValue.objects.create(
                organization=org_a,
                account=account,
                metric="days_overdue",
                number=overdue,
                observed_at=timezone.now(),
                source="api",
            )
        accounts.append(account)
    with in_tenant(org_a):
        accounts_recompute()
    return accounts


def candidate_spec(scorecard):
    spec = scorecard_spec(scorecard)
    for group in spec["groups"]:
        group["weight"] = CANDIDATE[group["key"]]
    return spec


def form_data(spec) -> dict:
    data = {f"group-{g['key']}": g["weight"] for g in spec["groups"]}
    data |= {f"measure-{m['key']}": m["weight"] for g in spec["groups"] for m in g["measures"]}
    return data


def test_the_what_if_foretells_what_saving_the_candidate_does(scored, org_a, chs_card, in_tenant):
    with in_tenant(org_a):
        before = dict(Account.objects.values_list("pk", "segment"))
        moves = scorecard_whatif(card_from_spec(candidate_spec(chs_card)))
        spec = candidate_spec(chs_card)
        services.scorecard_weights_apply(
            scorecard=chs_card,
            groups={g["key"]: g["weight"] for g in spec["groups"]},
            measures={m["key"]: m["weight"] for g in spec["groups"] for m in g["measures"]},
        )
        accounts_recompute()
        after = dict(Account.objects.values_list("pk", "segment"))
        levels = set(Account.objects.values_list("chs_level", flat=True))
    changed = [pk for pk in before if before[pk] != after[pk]]
    assert moves["accounts"] == 3 and moves["band_changes"] == 2
    assert moves["cell_changes"] == len(changed) == 2
    assert moves["arr_moving"] == 2 * 1060
    assert levels == {"Low", "High"}


def test_the_weights_page_previews_a_managers_edit_and_applies_it(
    scored, org_a, chs_card, mike, client_for, in_tenant
):
    url = reverse("outcomes:scorecard_weights")
    with in_tenant(org_a):
        data = form_data(candidate_spec(chs_card))
    page = client_for(mike).get(url, data)
    assert page.status_code == 200
    assert page.context["moves"]["band_changes"] == 2
    assert 'id="whatif-summary"' in page.content.decode()
    applied = client_for(mike).post(url, data)
    assert applied.status_code == 302 and applied.url == f"/health/scorecards/{chs_card.pk}/"
    with in_tenant(org_a):
        groups = {g["key"]: g["weight"] for g in scorecard_spec(chs_card)["groups"]}
    assert groups == {k: float(v) for k, v in CANDIDATE.items()}


def test_weights_that_do_not_total_100_are_refused_beside_the_table_and_nothing_changes(
    scored, org_a, chs_card, mike, bob, client_for, in_tenant
):
    url = reverse("outcomes:scorecard_weights")
    with in_tenant(org_a):
        data = form_data(candidate_spec(chs_card))
    refused = client_for(mike).post(url, data | {"group-financial": 50})
    assert refused.status_code == 200 and refused.context["moves"] is None
    assert "Group weights must total 100%; these total 110%." in refused.content.decode()
    assert client_for(bob).post(url, data).status_code == 403
    with in_tenant(org_a):
        groups = {g["key"]: g["weight"] for g in scorecard_spec(chs_card)["groups"]}
    assert groups["satisfaction"] == 20


def editor_data(spec) -> dict:
    """The scorecard editor's form holding `spec`, as a browser posts it."""
    editor = ScorecardEditor(None, spec)
    data = {}
    for formset in (editor.groups, editor.measures, editor.levels):
        for form in [formset.management_form, *formset.forms]:
            for bound in form:
                if (value := bound.value()) is not None and value is not False:  # a box unticked
                    data[bound.html_name] = value
    return data


def test_the_editor_previews_the_scorecard_as_typed(
    scored, org_a, chs_card, mike, bob, client_for, in_tenant
):
    url = reverse("outcomes:scorecard_preview", args=[chs_card.pk])
    with in_tenant(org_a):
        typed = editor_data(candidate_spec(chs_card))
        today = editor_data(scorecard_spec(chs_card))
        expected = scorecard_whatif(card_from_spec(candidate_spec(chs_card)))
    fragment = client_for(mike).post(url, typed)
    assert fragment.context["moves"] == expected and expected["band_changes"] == 2
    assert "would change CHS level" in fragment.content.decode()
    unchanged = client_for(mike).post(url, today)
    assert unchanged.context["moves"]["band_changes"] == 0
    wrong = client_for(mike).post(url, typed | {"groups-0-weight": "90"})
    assert wrong.context.get("moves") is None
    assert "Fix the problems marked in the editor" in wrong.content.decode()
    assert client_for(bob).post(url, typed).status_code == 403
    assert client_for(mike).get(url).status_code == 405
    with in_tenant(org_a):
        assert Scorecard.objects.get(pk=chs_card.pk).groups.get(key="satisfaction").weight == 20


@pytest.mark.django_db(transaction=True)
def test_a_manager_previews_typed_group_weights_in_the_scorecard_editor(
    scored, login, live_server, mike, chs_card
):
    page = login("mike@alpha.test")
    page.goto(f"{live_server.url}/health/scorecards/{chs_card.pk}/")
    for key, weight in CANDIDATE.items():
        index = page.locator(f"input[name$='-key'][value='{key}']").get_attribute("name")
        page.fill(f"input[name='{index.removesuffix('-key')}-weight']", str(weight))
    page.click("button[data-whatif-form]")
    summary = page.wait_for_selector("#whatif #whatif-summary")
    assert "Of 3 active accounts, 2 would change CHS level" in summary.inner_text()
    assert page.locator("#problems").count() == 0  # nothing was saved or refused
