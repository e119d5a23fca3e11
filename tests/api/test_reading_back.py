"""A CRM reads back what it sent, and whom it can name as a CSM."""

from datetime import timedelta

from django.utils import timezone

from health.models import MetricValue


def test_stored_metric_values_are_listed_with_filters(
    org_a, org_b, account_a, account_b, chs_card, key_for, in_tenant
):
    now = timezone.now()
    with in_tenant(org_a):
        for metric, number, age in [("nps", 10, 30), ("nps", 40, 1), ("active_users_pct", 70, 1)]:
            MetricValue.objects.create(
                organization=org_a,
                account=account_a,
                metric=metric,
                number=number,
                observed_at=now - timedelta(days=age),
                source="api",
            )
    client = key_for(org_a)
    everything = client.get("/api/v1/health-metrics/").json()["results"]
    assert len(everything) == 3
    recent_nps = client.get(
        "/api/v1/health-metrics/",
        {"account": account_a.pk, "metric": "nps", "since": (now - timedelta(days=7)).isoformat()},
    ).json()["results"]
    assert [(v["metric"], v["number"], v["account"]) for v in recent_nps] == [
        ("nps", 40.0, account_a.pk)
    ]
    assert key_for(org_b).get("/api/v1/health-metrics/").json()["results"] == []


def test_members_are_listed_with_their_roles_and_only_ones_own(
    org_a, org_b, alice, bob, vera, carol, key_for
):
    members = key_for(org_a).get("/api/v1/members/").json()["results"]
    assert {(m["email"], m["role"]) for m in members} == {
        ("alice@alpha.test", "owner"),
        ("bob@alpha.test", "csm"),
        ("vera@alpha.test", "viewer"),
    }
    carols = key_for(org_b).get("/api/v1/members/").json()["results"]
    assert [m["email"] for m in carols] == ["carol@beta.test"]
    alices = next(m["id"] for m in members if m["email"] == "alice@alpha.test")
    assert key_for(org_b).get(f"/api/v1/members/{alices}/").status_code == 404


def test_overrides_are_made_listed_and_withdrawn_with_the_browsers_role_rules(
    org_a, org_b, account_a, account_b, mike, bob, vera, chs_card, key_for, client_for, in_tenant
):
    from health.models import HealthOverride

    from ..problems import errors

    until = (timezone.now() + timedelta(days=14)).isoformat()
    body = {
        "account": account_a.pk,
        "score": 35,
        "reason": "Exec sponsor left",
        "expires_at": until,
    }
    client = key_for(org_a)
    made = client.post("/api/v1/health-overrides/", body, format="json")
    assert made.status_code == 201
    assert (made.json()["score"], made.json()["active"]) == (35.0, True)
    listed = client.get("/api/v1/health-overrides/", {"account": account_a.pk}).json()["results"]
    assert [o["id"] for o in listed] == [made.json()["id"]]
    assert (
        client.get("/api/v1/health-overrides/", {"account": account_b.pk}).json()["results"] == []
    )
    # A manager signed in may; a CSM, even the account's own, and a viewer may only read.
    session = client_for(mike).post(
        "/api/v1/health-overrides/", {**body, "score": 40}, content_type="application/json"
    )
    assert session.status_code == 201 and session.json()["created_by_email"] == mike.email
    for reader in (bob, vera):
        refused = client_for(reader).post(
            "/api/v1/health-overrides/", body, content_type="application/json"
        )
        assert refused.status_code == 403
        assert client_for(reader).get("/api/v1/health-overrides/").status_code == 200
    past = client.post(
        "/api/v1/health-overrides/",
        {**body, "expires_at": (timezone.now() - timedelta(days=1)).isoformat()},
        format="json",
    )
    assert past.status_code == 409 and "expires_at" in errors(past)
    elsewhere = client.post(
        "/api/v1/health-overrides/", {**body, "account": account_b.pk}, format="json"
    )
    assert elsewhere.status_code == 404 and "account" in errors(elsewhere)
    blank = client.post("/api/v1/health-overrides/", {**body, "reason": " "}, format="json")
    assert blank.status_code == 400 and "reason" in errors(blank)
    withdrawn = client.post(f"/api/v1/health-overrides/{made.json()['id']}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    assert withdrawn.json()["ended_at"] is not None
    other = key_for(org_b).post(f"/api/v1/health-overrides/{made.json()['id']}/withdraw/")
    assert other.status_code == 404
    with in_tenant(org_a):
        assert HealthOverride.objects.count() == 2  # withdrawn, not deleted: the audit keeps it


def test_survey_links_are_made_listed_and_revoked_by_whoever_may_edit_the_account(
    org_a, org_b, account_a, account_b, bob, vera, cmi_framework, key_for, client_for, client
):
    made = key_for(org_a).post(
        "/api/v1/survey-links/", {"account": account_a.pk, "valid_days": 7}, format="json"
    )
    assert made.status_code == 201
    link = made.json()
    assert (link["state"], link["mode"], link["framework"]) == (
        "open",
        "simplified",
        cmi_framework.pk,
    )
    assert client.get(link["url"]).status_code == 200  # the customer's page opens, no login
    # The account's CSM may; a viewer may only read; another organization sees nothing.
    own = client_for(bob).post(
        "/api/v1/survey-links/", {"account": account_a.pk}, content_type="application/json"
    )
    assert own.status_code == 201
    viewer = client_for(vera).post(
        "/api/v1/survey-links/", {"account": account_a.pk}, content_type="application/json"
    )
    assert viewer.status_code == 403
    listed = key_for(org_a).get("/api/v1/survey-links/", {"account": account_a.pk}).json()
    assert {entry["id"] for entry in listed["results"]} == {link["id"], own.json()["id"]}
    assert key_for(org_b).get("/api/v1/survey-links/").json()["results"] == []
    theirs = key_for(org_a).post("/api/v1/survey-links/", {"account": account_b.pk}, format="json")
    assert theirs.status_code == 404
    assert key_for(org_b).post(f"/api/v1/survey-links/{link['id']}/revoke/").status_code == 404
    revoked = key_for(org_a).post(f"/api/v1/survey-links/{link['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert "withdrawn" in client.get(link["url"]).content.decode()
