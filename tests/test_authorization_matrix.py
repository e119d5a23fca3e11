"""Every write, by role, in the browser and in the API signed in: the one role model of
accounts.permissions and tenancy.permissions, asked the same question both ways.

Roles rank viewer < csm < manager < owner; "own" is an account's own CSM or a manager. A
refused write answers 403 and changes nothing (the request's transaction rolls back); an
allowed one answers anything but 403 or a 5xx (a form error or a redirect)."""

import pytest
from django.urls import reverse

from tenancy.models import Role

from .conftest import DECK_ANSWERS, _member

pytestmark = pytest.mark.django_db

RANK = {"viewer": 0, "csm": 1, "manager": 2, "owner": 3}
AS = {
    "viewer": "vera@alpha.test",
    "csm": "bob@alpha.test",  # the account's own CSM
    "other_csm": "cleo@alpha.test",
    "manager": "mike@alpha.test",
    "owner": "alice@alpha.test",
}


def allowed(needs: str, role: str) -> bool:
    if needs == "own":  # the account's CSM, or a manager and up
        return role == "csm" or RANK.get(role, 1) >= RANK["manager"]
    return RANK.get(role, RANK["csm"]) >= RANK[needs]


# (name, needs, browser url, form data); {a} is account_a, {f} the framework, {s} the scorecard
BROWSER = [
    ("account create", "csm", "accounts:create", [], {"name": "New"}),
    ("account edit", "own", "accounts:edit", ["a"], {"name": "Renamed"}),
    ("account delete", "manager", "accounts:delete", ["a"], {}),
    ("account import", "manager", "accounts:import", [], {}),
    ("account note", "csm", "accounts:note_create", ["a"], {"body": "Called them"}),
    ("saved view", "viewer", "accounts:view_create", [], {"name": "Mine", "query": ""}),
    ("account bulk export", "viewer", "accounts:bulk", [], {"action": "export", "ids": ["{a}"]}),
    (
        "account bulk reassign",
        "manager",
        "accounts:bulk",
        [],
        {"action": "reassign", "ids": ["{a}"]},
    ),
    ("task bulk", "csm", "playbooks:tasks_bulk", [], {"action": "done", "ids": ["{t}"]}),
    ("assessment start", "own", "maturity:assessment_new", ["a"], {"framework": "{f}"}),
    ("survey link", "own", "maturity:link_create", ["a"], {"mode": "full", "valid_days": 3}),
    ("framework edit", "manager", "maturity:framework", ["f"], {}),
    ("metric value", "own", "health:value_add", ["a"], {}),
    ("health override", "manager", "health:override_add", ["a"], {}),
    ("metrics import", "manager", "health:metrics_import", [], {}),
    ("assessments import", "manager", "maturity:assessments_import", [], {}),
    ("scorecard edit", "manager", "health:scorecard", ["s"], {}),
    ("scorecard activate", "manager", "health:scorecard_activate", ["s"], {}),
    ("grid settings", "manager", "segments:grid", [], {}),
    ("playbook create", "manager", "playbooks:new", [], {}),
    ("playbook start", "own", "playbooks:run_start", ["a"], {}),
    ("webhook create", "owner", "integrations:webhooks", [], {}),
    ("webhook edit", "owner", "integrations:subscription", ["w"], {}),
    ("webhook rotate", "owner", "integrations:rotate", ["w"], {"overlap_hours": 0}),
    ("webhook delete", "owner", "integrations:delete", ["w"], {}),
    ("member add", "owner", "tenancy:members", [], {}),
    ("api key create", "owner", "tenancy:api_keys", [], {}),
]

# (name, needs, method, path, body)
API = [
    ("account create", "csm", "post", "/api/v1/accounts/", {"name": "New"}),
    ("account edit", "own", "patch", "/api/v1/accounts/{a}/", {"region": "APAC"}),
    ("account delete", "manager", "delete", "/api/v1/accounts/{a}/", None),
    (
        "assessment",
        "own",
        "post",
        "/api/v1/assessments/",
        {"account": "{a}", "answers": DECK_ANSWERS},
    ),
    (
        "metric values",
        "own",
        "post",
        "/api/v1/health-metrics/",
        [{"account": "{a}", "metric": "nps", "value": 40}],
    ),
    ("webhook create", "owner", "post", "/api/v1/webhooks/", {"url": "https://example.com/h"}),
    ("webhook edit", "owner", "patch", "/api/v1/webhooks/{w}/", {"is_active": False}),
    ("webhook delete", "owner", "delete", "/api/v1/webhooks/{w}/", None),
    (
        "accounts bulk",
        "csm",
        "post",
        "/api/v1/accounts/bulk/",
        [{"external_id": "B-1", "name": "B"}],
    ),
    ("account upsert", "csm", "put", "/api/v1/accounts/by-external-id/NEW-1/", {"name": "Up"}),
    ("run start", "own", "post", "/api/v1/playbook-runs/", {"playbook": "{p}", "account": "{a}"}),
    ("task update", "own", "patch", "/api/v1/playbook-tasks/{t}/", {"status": "done"}),
]


@pytest.fixture
def everyone(alice, mike, bob, vera, org_a):
    _member(org_a, AS["other_csm"], Role.CSM)


def filled(value, ids):
    if isinstance(value, str):
        for name, pk in ids.items():
            value = value.replace("{" + name + "}", str(pk))
        return int(value) if value.isdigit() else value
    if isinstance(value, dict):
        return {k: filled(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, ids) for v in value]
    return value


@pytest.fixture
def ids(org_a, account_a, cmi_framework, chs_card, mike, in_tenant):
    from integrations.services import subscription_create
    from playbooks.models import Playbook
    from playbooks.services import run_start, steps_replace

    with in_tenant(org_a):
        startable, running = (
            Playbook.objects.create(organization=org_a, name=name, cells=["core"])
            for name in ("Startable", "Running")
        )
        for each in (startable, running):
            steps_replace(playbook=each, steps=[{"title": "Step"}])
        task = run_start(playbook=running, account=account_a, by=mike).tasks.get()
        webhook = subscription_create(
            organization=org_a, url="https://example.com/hook", events=["account.migrated"]
        )
    return {
        "a": account_a.pk,
        "f": cmi_framework.pk,
        "s": chs_card.pk,
        "p": startable.pk,
        "t": task.pk,
        "w": webhook.pk,
    }


def as_user(client, email):
    from tenancy.models import User

    client.force_login(User.objects.get(email=email))
    return client


@pytest.mark.parametrize("role", list(AS))
@pytest.mark.parametrize("name, needs, url_name, args, data", BROWSER, ids=[b[0] for b in BROWSER])
def test_every_browser_write_by_role(
    client, everyone, ids, role, name, needs, url_name, args, data
):
    url = reverse(url_name, args=[ids[a] for a in args])
    response = as_user(client, AS[role]).post(url, filled(data, ids))
    assert response.status_code < 500
    if allowed(needs, role):
        assert response.status_code != 403, f"{role} refused: {name}"
    else:
        assert response.status_code == 403, f"{role} allowed: {name} ({response.status_code})"


@pytest.mark.parametrize("role", list(AS))
@pytest.mark.parametrize("name, needs, method, path, body", API, ids=[a[0] for a in API])
def test_every_api_write_by_role_signed_in(everyone, ids, role, name, needs, method, path, body):
    from rest_framework.test import APIClient

    client = as_user(APIClient(), AS[role])
    response = getattr(client, method)(filled(path, ids), filled(body, ids), format="json")
    assert response.status_code < 500
    if allowed(needs, role):
        assert response.status_code != 403, f"{role} refused: {name}: {response.content[:200]}"
    else:
        assert response.status_code == 403, f"{role} allowed: {name} ({response.status_code})"
