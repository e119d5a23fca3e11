"""Another organization's objects are not found: 404, never 403, never data."""

from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from accounts.models import BulkJob, ImportJob, SavedView
from health.services import override_create, scorecard_create_from_template
from integrations.models import WebhookDelivery
from integrations.services import subscription_create
from maturity.services import assessment_create, framework_create_from_template
from maturity.surveys import survey_link_create
from playbooks.models import Playbook
from playbooks.services import run_start, steps_replace
from tenancy.models import Membership, OrganizationAPIKey
from tenancy.services import api_key_create

from ..factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def b_objects(org_b, carol, account_b, in_tenant):
    with in_tenant(org_b):
        job = ImportJob.objects.create(organization=org_b, filename="b.csv", content="x")
        key, _ = api_key_create(organization=org_b, name="B sync")
        membership = Membership.objects.get(user=carol)
        usm = framework_create_from_template(organization=org_b, template="usm")
        assessment = assessment_create(
            account=account_b, framework=usm, answers={"usm_level": 2}, by=carol
        )
        link = survey_link_create(
            account=account_b, framework=usm, mode="full", valid_days=3, by=carol
        )
        scorecard = scorecard_create_from_template(organization=org_b, template="chs")
        hook = subscription_create(
            organization=org_b, url="https://b.example/hook", events=["account.migrated"]
        )
        delivery = WebhookDelivery.objects.create(
            organization=org_b, subscription=hook, event="account.migrated", payload={}
        )
        playbook = Playbook.objects.create(organization=org_b, name="B's plays", cells=["core"])
        steps_replace(playbook=playbook, steps=[{"title": "B's step"}])
        run = run_start(playbook=playbook, account=account_b, by=carol)
        task = run.tasks.get()
        override = override_create(
            account=account_b,
            score=10,
            reason="B's call",
            by=carol,
            expires_at=timezone.now() + timedelta(days=3),
        )
        bulk_job = BulkJob.objects.create(
            organization=org_b, action="playbook", account_ids=[account_b.pk], created_by=carol
        )
        saved_view = SavedView.objects.create(
            organization=org_b, user=carol, name="B's view", query="region=EMEA", shared=True
        )
    return {
        "account": account_b,
        "saved_view": saved_view,
        "bulk_job": bulk_job,
        "job": job,
        "key": key,
        "membership": membership,
        "framework": usm,
        "assessment": assessment,
        "link": link,
        "scorecard": scorecard,
        "override": override,
        "hook": hook,
        "delivery": delivery,
        "playbook": playbook,
        "run": run,
        "task": task,
    }


# Every browser URL that names an object, with the object of org B it is given.
OBJECT_PAGES = [
    ("accounts:detail", "account", "get"),
    ("accounts:edit", "account", "get"),
    ("accounts:edit", "account", "post"),
    ("accounts:delete", "account", "get"),
    ("accounts:delete", "account", "post"),
    ("accounts:import_detail", "job", "get"),
    ("accounts:import_status", "job", "get"),
    ("accounts:bulk_job", "bulk_job", "get"),
    ("accounts:bulk_job_status", "bulk_job", "get"),
    ("tenancy:member_update", "membership", "post"),
    ("tenancy:member_sign_out", "membership", "post"),
    ("tenancy:api_key_revoke", "key", "post"),
    ("maturity:assessment_new", "account", "post"),
    ("maturity:link_create", "account", "post"),
    ("maturity:assessment", "assessment", "get"),
    ("maturity:assessment", "assessment", "post"),
    ("maturity:link_revoke", "link", "post"),
    ("maturity:link_email", "link", "post"),
    ("accounts:note_create", "account", "post"),
    ("accounts:view_delete", "saved_view", "post"),
    ("maturity:framework", "framework", "get"),
    ("maturity:framework", "framework", "post"),
    ("maturity:provider_level", "framework", "post"),
    ("health:value_add", "account", "post"),
    ("health:override_add", "account", "post"),
    ("health:override_end", "override", "post"),
    ("health:scorecard", "scorecard", "get"),
    ("health:scorecard", "scorecard", "post"),
    ("health:scorecard_activate", "scorecard", "post"),
    ("integrations:toggle", "hook", "post"),
    ("integrations:subscription", "hook", "get"),
    ("integrations:subscription", "hook", "post"),
    ("integrations:test", "hook", "post"),
    ("integrations:rotate", "hook", "post"),
    ("integrations:delete", "hook", "post"),
    ("integrations:delivery", "delivery", "get"),
    ("integrations:redeliver", "delivery", "post"),
    ("playbooks:detail", "playbook", "get"),
    ("playbooks:edit", "playbook", "get"),
    ("playbooks:edit", "playbook", "post"),
    ("playbooks:run", "run", "get"),
    ("playbooks:run_start", "account", "post"),
    ("playbooks:task_close", "task", "get"),
    ("playbooks:task_close", "task", "post"),
    ("playbooks:task_reopen", "task", "post"),
    ("outcomes:add", "account", "get"),
    ("outcomes:add", "account", "post"),
    ("outcomes:scorecard_preview", "scorecard", "post"),
]


def _url(name, obj):
    if isinstance(obj, OrganizationAPIKey):
        return reverse(name, args=[obj.prefix])
    return reverse(name, args=[obj.pk])


@pytest.mark.parametrize(("name", "kind", "method"), OBJECT_PAGES)
def test_an_owner_of_a_gets_404_for_every_page_of_b(
    name, kind, method, alice, b_objects, client_for
):
    response = getattr(client_for(alice), method)(_url(name, b_objects[kind]), {"name": "hijack"})
    assert response.status_code == 404


def test_every_page_that_takes_an_object_is_covered():
    covered = {name for name, _, _ in OBJECT_PAGES}
    names = set()
    for namespace in (
        "accounts",
        "tenancy",
        "maturity",
        "health",
        "segments",
        "recompute",
        "integrations",
        "playbooks",
        "outcomes",
    ):
        resolver = get_resolver().namespace_dict[namespace][1]
        for pattern in resolver.url_patterns:
            if pattern.pattern.converters:
                names.add(f"{namespace}:{pattern.name}")
    # the survey is public and reached by a signed token (tests/maturity/test_self_assessment.py);
    # the dashboard's export takes a format, not an object (tests/segments/test_export.py); an
    # upload's token is kept under its organization (tests/accounts/test_import_mapping.py)
    exempt = {"tenancy:switch", "maturity:survey", "segments:export", "accounts:import_map"}
    assert names - exempt <= covered


def test_b_objects_survive_a_attempts(alice, b_objects, client_for, in_tenant, org_b):
    client = client_for(alice)
    client.post(reverse("accounts:delete", args=[b_objects["account"].pk]))
    client.post(reverse("tenancy:api_key_revoke", args=[b_objects["key"].prefix]))
    with in_tenant(org_b):
        b_objects["key"].refresh_from_db()
        b_objects["account"].refresh_from_db()
    assert not b_objects["key"].revoked


def test_lists_and_exports_show_only_own_accounts(alice, org_a, b_objects, client_for):
    AccountFactory(organization=org_a, name="Own account")
    client = client_for(alice)
    listing = client.get(reverse("accounts:list")).content.decode()
    export = client.get(reverse("accounts:export")).content.decode()
    members = client.get(reverse("tenancy:members")).content.decode()
    keys = client.get(reverse("tenancy:api_keys")).content.decode()
    assert "Own account" in listing and "Own account" in export
    assert "Bravo (B)" not in listing + export
    assert "carol@beta.test" not in members
    assert "B sync" not in keys


def test_switching_to_an_organization_one_is_not_in_is_404(alice, org_b, client_for):
    response = client_for(alice).post(reverse("tenancy:switch"), {"organization": str(org_b.id)})
    assert response.status_code == 404


def test_a_member_of_two_organizations_switches_between_them(
    alice, org_b, client_for, account_b, account_a
):
    from tenancy.models import Role

    from ..factories import MembershipFactory

    MembershipFactory(organization=org_b, user=alice, role=Role.VIEWER)
    client = client_for(alice)
    assert "Acme (A)" in client.get(reverse("accounts:list")).content.decode()
    client.post(reverse("tenancy:switch"), {"organization": str(org_b.id)})
    page = client.get(reverse("accounts:list")).content.decode()
    assert "Bravo (B)" in page and "Acme (A)" not in page
    assert client.get(reverse("accounts:detail", args=[account_a.pk])).status_code == 404


def test_a_user_with_no_membership_sees_no_organization(client_for, account_a):
    from ..factories import UserFactory

    response = client_for(UserFactory()).get(reverse("accounts:list"))
    assert response.status_code == 403
    assert "not a member of any organization" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, account_a):
    for url in (reverse("accounts:list"), reverse("accounts:detail", args=[account_a.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_admin_stays_inside_the_active_organization(
    alice, b_objects, client_for, in_tenant, org_a
):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client = client_for(alice)
    listing = client.get("/admin/accounts/account/").content.decode()
    assert "Bravo (B)" not in listing
    change = client.get(f"/admin/accounts/account/{b_objects['account'].pk}/change/")
    assert change.status_code in (302, 404)  # the admin redirects "does not exist" to its index
    users = client.get("/admin/tenancy/user/").content.decode()
    assert "carol@beta.test" not in users and "alice@alpha.test" in users


def test_the_api_hides_other_organizations_maturity(b_objects, alice, org_a, in_tenant):
    from rest_framework.test import APIClient

    with in_tenant(org_a):
        key = api_key_create(organization=org_a, name="A")[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get("/api/v1/frameworks/").json()["results"] == []
    assert client.get("/api/v1/assessments/").json()["results"] == []
    assessment = b_objects["assessment"]
    assert client.get(f"/api/v1/assessments/{assessment.pk}/").status_code == 404
    assert client.get(f"/api/v1/frameworks/{b_objects['framework'].pk}/").status_code == 404


def test_the_account_page_of_a_shows_nothing_of_b(b_objects, alice, account_a, client_for):
    page = client_for(alice).get(reverse("accounts:detail", args=[account_a.pk]))
    html = page.content.decode()
    assert "USM value maturity" not in html
    assert page.context["maturity"].frameworks == []


def test_the_api_hides_other_organizations_health(b_objects, org_a, key_for):
    client = key_for(org_a)
    assert client.get("/api/v1/scorecards/").json()["results"] == []
    account = b_objects["account"].pk
    assert client.get(f"/api/v1/accounts/{account}/health/").status_code == 404
    response = client.post(
        "/api/v1/health-metrics/",
        [
            {"account": account, "metric": "nps", "value": 1},
            {"external_id": b_objects["account"].external_id, "metric": "nps", "value": 1},
        ],
        format="json",
    )
    assert response.status_code == 404  # another organization's accounts do not exist here


def test_a_manager_of_a_cannot_open_the_inbox_of_a_csm_of_b(mike, carol, b_objects, client_for):
    response = client_for(mike).get(reverse("playbooks:inbox"), {"csm": carol.pk})
    assert response.status_code == 404


def test_b_playbooks_runs_and_tasks_stay_out_of_a_pages(alice, b_objects, client_for):
    client = client_for(alice)
    pages = "".join(
        client.get(reverse(name)).content.decode() for name in ("playbooks:list", "playbooks:inbox")
    )
    assert "B&#x27;s plays" not in pages and "B's plays" not in pages and "B's step" not in pages
