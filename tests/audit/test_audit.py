"""The audit trail: recorded by PostgreSQL triggers (django-pghistory) for every audited
write, bulk ones included, with its actor; append-only for the application role; kept to its
organization by RLS; read on a page, as CSV and through the API; pruned after retention."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import Account, AccountEvent
from audit.selectors import AuditFilter, audit_events, entries
from recompute.pipeline import accounts_recompute

from ..conftest import wait_for
from ..factories import AccountFactory

pytestmark = pytest.mark.django_db


def account_events(org, in_tenant, **filters):
    with in_tenant(org):
        return entries(audit_events(AuditFilter(object_type="accounts.Account", **filters)))


def test_a_bulk_reassign_is_recorded_account_by_account_with_its_actor_and_request(
    org_a, mike, bob, client_for, in_tenant
):
    accounts = [AccountFactory(organization=org_a, owner_csm=bob) for _ in range(3)]
    response = client_for(mike).post(
        "/accounts/bulk/",
        {"action": "reassign", "ids": [a.pk for a in accounts], "csm": mike.pk, "query": ""},
        HTTP_X_REQUEST_ID="bulk-reassign-1",
    )
    assert response.status_code == 302
    changed = account_events(org_a, in_tenant, action="update")
    assert sorted(int(e.object_id) for e in changed) == sorted(a.pk for a in accounts)
    for entry in changed:
        assert entry.actor == "user" and entry.actor_id == str(mike.pk)
        assert entry.actor_label == "mike@alpha.test"
        assert entry.request_id == "bulk-reassign-1"
        [change] = entry.changes
        assert (change.field, change.before, change.after) == ("CSM", bob.pk, mike.pk)


def test_a_deletion_is_recorded_with_what_was_deleted(org_a, alice, client_for, in_tenant):
    account = AccountFactory(organization=org_a, name="Gone Ltd", region="EMEA", arr=1200)
    response = client_for(alice).post(f"/accounts/{account.pk}/delete/")
    assert response.status_code == 302
    [deleted] = account_events(org_a, in_tenant, action="delete")
    assert deleted.object_id == str(account.pk) and deleted.object_label == "Gone Ltd"
    before = {c.field: c.before for c in deleted.changes}
    assert before["name"] == "Gone Ltd" and before["region"] == "EMEA"
    assert {c.after for c in deleted.changes} == {None}
    assert deleted.actor_label == "alice@alpha.test"


def test_a_recompute_of_derived_scores_records_nothing(org_a, placed, in_tenant):
    account = AccountFactory(organization=org_a)
    placed(account, nps=40)
    with in_tenant(org_a):
        accounts_recompute()
        assert Account.objects.get(pk=account.pk).chs is not None
    assert [e.action for e in account_events(org_a, in_tenant)] == ["insert"]


def test_the_app_role_cannot_change_or_delete_an_audit_row(org_a, in_tenant):
    AccountFactory(organization=org_a, name="Kept")
    with in_tenant(org_a):
        assert AccountEvent.objects.count() == 1
        for statement in (
            "UPDATE accounts_accountevent SET name = 'Forged'",
            "DELETE FROM accounts_accountevent",
        ):
            with (
                pytest.raises(DatabaseError, match="permission denied"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            AccountEvent.objects.all().delete()
        assert list(AccountEvent.objects.values_list("name", flat=True)) == ["Kept"]


def test_one_organizations_trail_is_invisible_to_another(
    org_a, org_b, alice, carol, client_for, in_tenant, key_for
):
    AccountFactory(organization=org_b, name="Beta secret")
    AccountFactory(organization=org_a, name="Alpha own")
    with in_tenant(org_a), connection.cursor() as cursor:  # RLS, under the ORM's own filter
        cursor.execute("SELECT name FROM accounts_accountevent")
        assert [row[0] for row in cursor.fetchall()] == ["Alpha own"]
    page = client_for(alice).get("/org/audit/").content.decode()
    assert "Alpha own" in page and "Beta secret" not in page
    everything = key_for(org_a).get("/api/v1/audit-events/").json()["results"]
    assert "Beta secret" not in {e["object_label"] for e in everything}
    accounts = key_for(org_a).get("/api/v1/audit-events/", {"object_type": "accounts.Account"})
    assert [e["object_label"] for e in accounts.json()["results"]] == ["Alpha own"]
    export = client_for(alice).get("/org/audit/export.csv").content.decode()
    assert "Alpha own" in export and "Beta secret" not in export


def test_the_page_filters_and_exports_what_it_shows(org_a, alice, mike, bob, vera, client_for):
    account = AccountFactory(organization=org_a, name="Filtered", owner_csm=bob)
    edited = client_for(mike).post(
        f"/accounts/{account.pk}/edit/",
        {
            "name": "Filtered",
            "region": "APAC",
            "arr": "500.00",
            "owner_csm": bob.pk,
            "lifecycle_stage": account.lifecycle_stage,
        },
    )
    assert edited.status_code == 302
    query = {"who": f"user:{mike.pk}", "object_type": "accounts.Account", "action": "update"}
    page = client_for(alice).get("/org/audit/", query)
    assert page.status_code == 200
    [shown] = page.context["entries"]
    assert shown.actor_label == "mike@alpha.test" and "APAC" in page.content.decode()
    rows = list(
        csv.DictReader(
            io.StringIO(client_for(mike).get("/org/audit/export.csv", query).content.decode())
        )
    )
    assert [(r["actor_label"], r["action"], r["object_id"]) for r in rows] == [
        ("mike@alpha.test", "update", str(account.pk))
    ]
    assert '"after": "APAC"' in rows[0]["changes"]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert client_for(alice).get("/org/audit/", {"since": tomorrow}).context["entries"] == []
    assert client_for(bob).get("/org/audit/").status_code == 403
    assert client_for(vera).get("/org/audit/export.csv").status_code == 403


def test_the_api_names_the_key_that_made_a_change_and_refuses_bad_filters(org_a, key_for):
    client = key_for(org_a)
    created = client.post("/api/v1/accounts/", {"name": "Via API", "arr": "10.00"}, format="json")
    assert created.status_code == 201
    body = client.get("/api/v1/audit-events/", {"actor": "api_key", "action": "insert"}).json()
    [event] = [e for e in body["results"] if e["object_type"] == "accounts.Account"]
    assert event["object_id"] == str(created.json()["id"]) and event["actor"]["label"] == "test"
    assert {"field": "name", "before": None, "after": "Via API"} in event["changes"]
    wrong = client.get("/api/v1/audit-events/", {"object_type": "accounts.Nothing"})
    assert wrong.status_code == 400
    backwards = client.get("/api/v1/audit-events/", {"since": "2026-02-01", "until": "2026-01-01"})
    assert backwards.status_code == 409


@pytest.mark.django_db(transaction=True)
def test_the_retention_task_prunes_only_old_events_of_its_organization(org_a, org_b, worker):
    from audit.tasks import audit_prune
    from tenancy.context import tenant_context
    from tenancy.db import as_owner

    for organization, name in ((org_a, "Old"), (org_a, "Recent"), (org_b, "Other old")):
        AccountFactory(organization=organization, name=name)
    long_ago = timezone.now() - timedelta(days=401)
    with as_owner():  # only the owner role may touch an event, here to age two of them
        for organization in (org_a, org_b):
            with tenant_context(organization.id):
                AccountEvent.objects.filter(name__in=["Old", "Other old"]).update(
                    pgh_created_at=long_ago
                )

    def names(organization):
        with tenant_context(organization.id):
            return list(AccountEvent.objects.values_list("name", flat=True))

    audit_prune.delay(str(org_a.id))  # as beat sends it, once per organization

    def pruned():
        """organization A's old event is gone"""
        return names(org_a) == ["Recent"]

    wait_for(pruned)
    assert names(org_b) == ["Other old"]


def test_an_accounts_history_is_one_click_from_its_page(org_a, mike, client_for):
    account = AccountFactory(organization=org_a, name="Storied")
    other = AccountFactory(organization=org_a, name="Elsewhere")
    page = client_for(mike).get(f"/accounts/{account.pk}/").content.decode()
    link = f"/org/audit/?object_type=accounts.Account&amp;object_id={account.pk}"
    assert link in page
    history = client_for(mike).get(link.replace("&amp;", "&"))
    assert [e.object_label for e in history.context["entries"]] == ["Storied"]
    assert other.name not in history.content.decode()


def test_sso_settings_and_their_requirement_are_in_the_trail(
    org_a, org_b, alice, carol, client_for, in_tenant
):
    settings = {
        "sso": "1",
        "oidc_issuer": "https://idp.example.com",
        "oidc_client_id": "ascend",
        "oidc_client_secret": "s3cret",
        "allowed_domains": "alpha.test",
        "sso_required": "on",
    }
    for who in (alice, carol):
        assert client_for(who).post("/org/provisioning/", settings).status_code == 302
    with in_tenant(org_a):
        [required] = entries(
            audit_events(AuditFilter(object_type="tenancy.Organization", action="update"))
        )
        [configured] = entries(
            audit_events(AuditFilter(object_type="tenancy.IdentitySettings", action="update"))
        )
    assert required.object_id == str(org_a.pk) and required.actor_label == "alice@alpha.test"
    assert [(c.field, c.before, c.after) for c in required.changes] == [
        ("sso required", False, True)
    ]
    shown = {c.field: c.after for c in configured.changes}
    assert shown["issuer URL"] == "https://idp.example.com"
    assert "s3cret" not in str(configured.data)  # the secret is not in the trail
