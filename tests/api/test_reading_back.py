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
