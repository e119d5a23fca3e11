"""SCIM 2.0 provisioning at /scim/v2/: conformance by scim2-tester (an RFC checker nobody here
wrote) against the live endpoint; deactivation ending access at once; groups mapping to
roles; and tenant isolation of tokens and people."""

import json

import httpx2
import pytest
from django.test import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from audit.selectors import AuditFilter, audit_events, entries
from playbooks.models import PlaybookTask
from playbooks.services import playbook_defaults_install, run_start
from tenancy.models import KeyScope, Membership, OrganizationAPIKey
from tenancy.services import api_key_create, group_role_set

SCIM_JSON = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def token_for(organization, in_tenant, scope=KeyScope.SCIM):
    with in_tenant(organization):
        return api_key_create(organization=organization, name="IdP", scope=scope)[1]


@pytest.fixture
def scim(org_a, alice, in_tenant):
    """A client of organization A's SCIM endpoint: `scim(method, path, body)` → response."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(org_a, in_tenant)}")

    def call(method, path, body=None):
        data = json.dumps(body) if body is not None else None
        return getattr(client, method)(f"/scim/v2/{path}", data, content_type=SCIM_JSON)

    return call


def user_body(email, **extra):
    # The email as userName, as Okta and Entra ID send it (scim2-models refuses an `emails`
    # value at a reserved domain such as .test, which the fixtures' people use).
    return {"schemas": [USER], "userName": email} | extra


@pytest.mark.django_db(transaction=True)
def test_scim2_tester_finds_no_fault_in_the_live_endpoint(org_a, alice, live_server, in_tenant):
    token = token_for(org_a, in_tenant)
    http = httpx2.Client(
        base_url=f"{live_server.url}/scim/v2", headers={"Authorization": f"Bearer {token}"}
    )
    results = check_server(SyncSCIMClient(http))
    faults = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL, Status.DEVIATION)]
    assert faults == []
    passed = [r for r in results if r.status == Status.SUCCESS]
    skipped = [r for r in results if r.status == Status.SKIPPED]
    assert len(passed) >= 100
    # Only the search across resource types at once (POST /.search), which is optional
    # (RFC 7644 §3.4.3) and answered 501, for each of User and Group.
    assert [r.title for r in skipped] == ["search_with_attributes"] * 2


def test_a_provisioned_person_becomes_a_member_and_is_found_by_username(scim, org_a, in_tenant):
    created = scim("post", "Users", user_body("dana@alpha.test", displayName="Dana"))
    assert created.status_code == 201 and created["Content-Type"] == SCIM_JSON
    body = created.json()
    assert created["Location"].endswith(f"/scim/v2/Users/{body['id']}")
    with in_tenant(org_a):
        assert Membership.objects.get(user__email="dana@alpha.test").role == "csm"
    found = scim("get", 'Users?filter=userName eq "DANA@alpha.test"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == body["id"]
    again = scim("post", "Users", user_body("dana@alpha.test"))
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    unknown = scim("get", 'Users?filter=title sw "x"')
    assert unknown.status_code == 400 and unknown.json()["scimType"] == "invalidFilter"


def test_deactivation_ends_sessions_keys_and_tasks_at_once(
    scim, org_a, alice, mike, bob, account_a, client_for, in_tenant, cmi_framework, chs_card
):
    with in_tenant(org_a):
        playbooks = {p.key: p for p in playbook_defaults_install(organization=org_a)}
        run = run_start(playbook=playbooks["expand_business"], account=account_a, by=mike)
        open_for_bob = run.tasks.filter(assignee=bob, status="open").count()
        bobs_key = api_key_create(organization=org_a, name="Bob's script", created_by=bob)[1]
    assert open_for_bob > 0
    browser = client_for(bob)
    assert browser.get("/segments/").status_code == 200
    person = scim("post", "Users", user_body("bob@alpha.test")).json()  # an existing member
    api = Client(HTTP_AUTHORIZATION=f"Api-Key {bobs_key}")
    assert api.get("/api/v1/accounts/").status_code == 200

    response = scim(
        "patch",
        f"Users/{person['id']}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]},
    )

    assert response.status_code == 200 and response.json()["active"] is False
    assert browser.get("/segments/").url.startswith("/login/")  # the session is over
    assert api.get("/api/v1/accounts/").status_code == 401  # the key they made is revoked
    with in_tenant(org_a):
        assert not Membership.objects.filter(user=bob).exists()
        holders = set(run.tasks.filter(status="open").values_list("assignee__email", flat=True))
        assert "bob@alpha.test" not in holders and "mike@alpha.test" in holders
        assert PlaybookTask.objects.filter(assignee=mike, status="open").count() >= open_for_bob
        [left] = entries(
            audit_events(AuditFilter(object_type="tenancy.Membership", action="delete"))
        )
    assert left.actor == "scim" and left.actor_label == "IdP"
    back = scim("put", f"Users/{person['id']}", user_body("bob@alpha.test", active=True))
    assert back.status_code == 200
    with in_tenant(org_a):
        assert Membership.objects.get(user=bob).role == "csm"


def test_groups_map_their_members_to_roles(scim, org_a, in_tenant):
    with in_tenant(org_a):
        group_role_set(group="Ascend Managers", role="manager")
    person = scim("post", "Users", user_body("erin@alpha.test")).json()

    def role():
        with in_tenant(org_a):
            return Membership.objects.get(user__email="erin@alpha.test").role

    assert role() == "csm"  # in no mapped group: the default role
    group = scim(
        "post",
        "Groups",
        {
            "schemas": [GROUP],
            "displayName": "Ascend Managers",
            "members": [{"value": person["id"]}],
        },
    ).json()
    assert role() == "manager"
    removed = scim(
        "patch",
        f"Groups/{group['id']}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "remove", "path": f'members[value eq "{person["id"]}"]'}],
        },
    )
    assert removed.status_code == 200 and "members" not in removed.json()
    assert role() == "csm"
    missing = scim(
        "post", "Groups", {"schemas": [GROUP], "displayName": "X", "members": [{"value": "nobody"}]}
    )
    assert missing.status_code == 400


def test_one_organizations_token_never_reaches_anothers_people(
    scim, org_a, org_b, carol, in_tenant, key_for
):
    theirs = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(org_b, in_tenant)}")
    b_person = theirs.post(
        "/scim/v2/Users", json.dumps(user_body("fay@beta.test")), content_type=SCIM_JSON
    ).json()
    assert scim("get", f"Users/{b_person['id']}").status_code == 404
    assert scim("delete", f"Users/{b_person['id']}").status_code == 404
    assert scim("get", "Users").json()["totalResults"] == 0
    with in_tenant(org_b):
        assert Membership.objects.filter(user__email="fay@beta.test").exists()
    # A SCIM token is no REST key, and a REST key no SCIM token.
    rest_key = token_for(org_a, in_tenant, scope=KeyScope.API)
    as_scim = Client(HTTP_AUTHORIZATION=f"Bearer {rest_key}").get("/scim/v2/Users")
    assert as_scim.status_code == 401 and as_scim["Content-Type"] == SCIM_JSON
    with in_tenant(org_a):
        scim_key = OrganizationAPIKey.objects.filter(scope=KeyScope.SCIM).first()
    assert scim_key is not None
    assert Client().get("/scim/v2/Users").status_code == 401
