"""The authorization matrix: every endpoint × who is asking."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account
from health.models import HealthOverride
from maturity.models import Assessment
from maturity.services import assessment_create
from maturity.surveys import survey_link_create
from playbooks.models import Playbook
from playbooks.services import run_start, steps_replace
from tenancy.models import OrganizationAPIKey
from tenancy.services import api_key_create, api_key_revoke

from ..conftest import DECK_ANSWERS
from ..problems import errors

pytestmark = pytest.mark.django_db

# (method, path, body, other organization's key gets) — {x} are org A's objects.
ENDPOINTS = [
    ("get", "/api/v1/accounts/", None, "list"),
    ("post", "/api/v1/accounts/", {"name": "New"}, "elsewhere"),
    ("get", "/api/v1/accounts/{account}/", None, 404),
    ("patch", "/api/v1/accounts/{account}/", {"region": "X"}, 404),
    ("delete", "/api/v1/accounts/{account}/", None, 404),
    ("put", "/api/v1/accounts/by-external-id/NEW-1/", {"name": "Upserted"}, "elsewhere"),
    ("post", "/api/v1/accounts/bulk/", [{"external_id": "BULK-1", "name": "Bulk"}], "elsewhere"),
    ("get", "/api/v1/frameworks/", None, "list"),
    ("get", "/api/v1/frameworks/{framework}/", None, 404),
    ("get", "/api/v1/assessments/", None, "list"),
    ("post", "/api/v1/assessments/", {"account": "{account}", "answers": {"team_size": 3}}, 404),
    ("get", "/api/v1/assessments/{assessment}/", None, 404),
    ("get", "/api/v1/scorecards/", None, "list"),
    ("get", "/api/v1/scorecards/{scorecard}/", None, 404),
    (
        "post",
        "/api/v1/health-metrics/",
        [{"account": "{account}", "metric": "nps", "value": 1}],
        404,
    ),
    ("get", "/api/v1/accounts/{account}/health/", None, 404),
    ("get", "/api/v1/accounts/{account}/health/history/", None, 404),
    ("get", "/api/v1/segments/grid/", None, "list"),
    ("get", "/api/v1/migrations/", None, "list"),
    ("get", "/api/v1/accounts/changes/", None, "list"),
    ("get", "/api/v1/playbooks/", None, "list"),
    ("get", "/api/v1/playbooks/{playbook}/", None, 404),
    ("get", "/api/v1/playbook-runs/", None, "list"),
    ("post", "/api/v1/playbook-runs/", {"playbook": "{playbook}", "account": "{account}"}, 404),
    ("get", "/api/v1/playbook-runs/{run}/", None, 404),
    ("get", "/api/v1/playbook-tasks/", None, "list"),
    ("get", "/api/v1/playbook-tasks/{task}/", None, 404),
    ("patch", "/api/v1/playbook-tasks/{task}/", {"status": "done"}, 404),
    ("get", "/api/v1/health-metrics/", None, "list"),
    ("get", "/api/v1/account-deletions/", None, "list"),
    ("get", "/api/v1/members/", None, "list"),
    ("get", "/api/v1/health-overrides/", None, "list"),
    ("get", "/api/v1/health-overrides/{override}/", None, 404),
    (
        "post",
        "/api/v1/health-overrides/",
        {"account": "{account}", "score": 30, "reason": "Why", "expires_at": "2099-01-01T00:00Z"},
        404,
    ),
    ("post", "/api/v1/health-overrides/{override}/withdraw/", None, 404),
    ("get", "/api/v1/survey-links/", None, "list"),
    ("get", "/api/v1/survey-links/{link}/", None, 404),
    ("post", "/api/v1/survey-links/", {"account": "{account}"}, 404),
    ("post", "/api/v1/survey-links/{link}/revoke/", None, 404),
    ("get", "/api/v1/outcomes/", None, "list"),
    (
        "post",
        "/api/v1/outcomes/",
        [
            {
                "account": "{account}",
                "kind": "renewed",
                "occurred_on": "2026-01-31",
                "arr_before": "1",
                "arr_after": "1",
            }
        ],
        404,
    ),
    ("get", "/api/v1/insights/backtest/", None, "list"),
    ("get", "/api/v1/insights/calibration/", None, "list"),
]
WRITE_OK = {"post": (200, 201), "put": (200, 201), "patch": (200,), "delete": (204,)}


@pytest.fixture
def world(org_a, org_b, account_a, bob, mike, vera, carol, cmi_framework, chs_card, in_tenant):
    with in_tenant(org_a):
        assessment = assessment_create(
            account=account_a, framework=cmi_framework, answers=DECK_ANSWERS, by=bob
        )
        playbook, running = (
            Playbook.objects.create(organization=org_a, name=name, cells=["core"])
            for name in ("Startable", "Running")
        )
        for each in (playbook, running):
            steps_replace(playbook=each, steps=[{"title": "Step"}, {"title": "Another"}])
        run = run_start(playbook=running, account=account_a, by=mike)
        task = run.tasks.first()
        override = HealthOverride.objects.create(
            organization=org_a,
            account=account_a,
            score=50,
            reason="Standing",
            expires_at=timezone.now() + timedelta(days=3),
        )
        link = survey_link_create(
            account=account_a, framework=cmi_framework, mode="simplified", valid_days=3, by=bob
        )
        revoked_key, revoked = api_key_create(organization=org_a, name="old")
        api_key_revoke(api_key=revoked_key)
    with in_tenant(org_b):
        other = api_key_create(organization=org_b, name="B")[1]
    ids = {
        "account": account_a.pk,
        "framework": cmi_framework.pk,
        "assessment": assessment.pk,
        "scorecard": chs_card.pk,
        "playbook": playbook.pk,
        "run": run.pk,
        "task": task.pk,
        "override": override.pk,
        "link": link.pk,
    }
    return {"ids": ids, "revoked": revoked, "other": other}


def fill(value, ids):
    if isinstance(value, str):
        for name, pk in ids.items():
            if value == "{" + name + "}":
                return pk
            value = value.replace("{" + name + "}", str(pk))
        return value
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def call(client, method, path, body, ids):
    return getattr(client, method)(fill(path, ids), fill(body, ids), format="json")


def keyed(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def session(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("method", "path", "body", "other"), ENDPOINTS)
def test_no_key_and_a_revoked_key_are_401(method, path, body, other, world):
    for client in (APIClient(), keyed(world["revoked"])):
        assert call(client, method, path, body, world["ids"]).status_code == 401


@pytest.mark.parametrize(("method", "path", "body", "other"), ENDPOINTS)
def test_another_organizations_key_never_reaches_a(
    method, path, body, other, world, org_a, account_a, in_tenant
):
    response = call(keyed(world["other"]), method, path, body, world["ids"])
    if other == "list":
        assert response.status_code == 200
        assert str(account_a.name) not in response.content.decode()
        assert f'"id":{account_a.pk},' not in response.content.decode().replace(" ", "")
    elif other == "elsewhere":
        assert response.status_code in (200, 201)  # created in B, not in A
    else:
        assert response.status_code == other
    with in_tenant(org_a):
        assert Account.objects.count() == 1
        assert Account.objects.get().region == account_a.region
        assert Assessment.objects.count() == 1


@pytest.mark.parametrize(("method", "path", "body", "other"), ENDPOINTS)
def test_a_viewer_session_reads_and_cannot_write(method, path, body, other, world, vera):
    response = call(session(vera), method, path, body, world["ids"])
    assert response.status_code == (200 if method == "get" else 403)


@pytest.mark.parametrize(("method", "path", "body", "other"), ENDPOINTS)
def test_a_manager_session_may_do_everything(method, path, body, other, world, mike):
    response = call(session(mike), method, path, body, world["ids"])
    expected = (200,) if method == "get" else WRITE_OK[method]
    assert response.status_code in expected, response.content[:300]


def test_keys_are_stored_hashed(world, org_a, in_tenant):
    with in_tenant(org_a):
        for key in OrganizationAPIKey.objects.all():
            assert world["revoked"] not in (key.hashed_key, key.id)


# One role model for the browser and the API (accounts.permissions): a CSM changes the
# accounts they own, and only a manager gives an account to another CSM.
OTHER_CSMS_ACCOUNT = [
    ("patch", "/api/v1/accounts/{account}/", {"region": "X"}),
    ("post", "/api/v1/assessments/", {"account": "{account}", "answers": {"team_size": 3}}),
    ("post", "/api/v1/health-metrics/", [{"account": "{account}", "metric": "nps", "value": 1}]),
]


@pytest.fixture
def carl(org_a):
    from tenancy.models import Role

    from ..factories import MembershipFactory, UserFactory

    return MembershipFactory(
        organization=org_a, user=UserFactory(email="carl@alpha.test"), role=Role.CSM
    ).user


@pytest.mark.parametrize(("method", "path", "body"), OTHER_CSMS_ACCOUNT)
def test_a_csm_cannot_write_to_another_csms_account_through_the_api(
    method, path, body, world, carl, org_a, in_tenant
):
    from health.models import MetricValue

    response = call(session(carl), method, path, body, world["ids"])
    assert response.status_code == 403, response.content[:300]
    with in_tenant(org_a):
        assert Account.objects.get().region != "X"
        assert Assessment.objects.count() == 1
        assert not MetricValue.objects.exists()


@pytest.mark.parametrize(("method", "path", "body"), OTHER_CSMS_ACCOUNT)
def test_the_accounts_own_csm_may_write_to_it(method, path, body, world, bob):
    response = call(session(bob), method, path, body, world["ids"])
    assert response.status_code in (200, 201), response.content[:300]


def test_a_csm_cannot_give_an_account_to_someone_else_through_the_api(
    world, bob, carl, mike, org_a, in_tenant
):
    account = world["ids"]["account"]
    moved = session(bob).patch(
        f"/api/v1/accounts/{account}/", {"owner_csm": "carl@alpha.test"}, format="json"
    )
    assert moved.status_code == 400 and "manager" in errors(moved)["owner_csm"][0]
    created = session(bob).post(
        "/api/v1/accounts/", {"name": "Mine?", "owner_csm": "carl@alpha.test"}, format="json"
    )
    assert created.status_code == 400
    own = session(bob).post(
        "/api/v1/accounts/", {"name": "Mine", "owner_csm": "bob@alpha.test"}, format="json"
    )
    assert own.status_code == 201
    managed = session(mike).patch(
        f"/api/v1/accounts/{account}/", {"owner_csm": "carl@alpha.test"}, format="json"
    )
    assert managed.status_code == 200
    with in_tenant(org_a):
        assert Account.objects.get(pk=account).owner_csm == carl
