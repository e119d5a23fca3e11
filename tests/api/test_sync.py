"""A CRM polling `changed_since` sees every derived change, and only changes."""

import pytest
from django.utils import timezone

from health.models import MetricValue

from ..factories import AccountFactory
from ..recomputing import recompute_run


def _changed(client, since) -> dict[str, dict]:
    response = client.get("/api/v1/accounts/", {"changed_since": since.isoformat()})
    assert response.status_code == 200
    return {row["name"]: row for row in response.json()["results"]}


def test_a_recompute_that_moves_scores_is_seen_by_changed_since(
    org_a, chs_card, cmi_framework, key_for, in_tenant
):
    with in_tenant(org_a):
        scored = AccountFactory(organization=org_a, name="Scored")
        AccountFactory(organization=org_a, name="Untouched")
    client = key_for(org_a)
    mark = timezone.now()
    assert _changed(client, mark) == {}
    with in_tenant(org_a):
        MetricValue.objects.create(
            organization=org_a,
            account=scored,
            metric="nps",
            number=60,
            observed_at=timezone.now(),
            source="api",
        )
    # updated_since reads the account's own fields only: the new score does not move it.
    recompute_run(org_a.id, [scored.pk])
    own = client.get("/api/v1/accounts/", {"updated_since": mark.isoformat()}).json()
    assert own["results"] == []
    changed = _changed(client, mark)
    assert set(changed) == {"Scored"}
    assert changed["Scored"]["chs"] is not None
    assert changed["Scored"]["chs_updated_at"] >= mark.isoformat().replace("+00:00", "Z")[:19]
    # A recompute that changes nothing moves no stamp.
    later = timezone.now()
    recompute_run(org_a.id, [scored.pk])
    assert _changed(client, later) == {}


def test_an_account_is_found_by_its_crm_id(org_a, key_for, in_tenant):
    with in_tenant(org_a):
        AccountFactory(organization=org_a, name="Mine", external_id="SF/001")
        AccountFactory(organization=org_a, name="Other", external_id="SF-002")
    response = key_for(org_a).get("/api/v1/accounts/", {"external_id": "SF/001"})
    assert [row["name"] for row in response.json()["results"]] == ["Mine"]


def test_a_deleted_account_leaves_a_tombstone_only_its_organization_sees(
    org_a, org_b, key_for, in_tenant
):
    with in_tenant(org_a):
        gone = AccountFactory(organization=org_a, name="Gone", external_id="SF-9")
        AccountFactory(organization=org_a, name="Stays")
    client = key_for(org_a)
    mark = timezone.now()
    assert (
        client.get("/api/v1/account-deletions/", {"since": mark.isoformat()}).json()["results"]
        == []
    )
    assert client.delete(f"/api/v1/accounts/{gone.pk}/").status_code == 204
    (tombstone,) = client.get("/api/v1/account-deletions/", {"since": mark.isoformat()}).json()[
        "results"
    ]
    assert (tombstone["account"], tombstone["external_id"], tombstone["name"]) == (
        gone.pk,
        "SF-9",
        "Gone",
    )
    assert client.get(f"/api/v1/account-deletions/{tombstone['id']}/").status_code == 200
    other = key_for(org_b)
    assert other.get("/api/v1/account-deletions/").json()["results"] == []
    assert other.get(f"/api/v1/account-deletions/{tombstone['id']}/").status_code == 404


def test_deleting_an_account_announces_account_deleted_to_its_subscribers(
    org_a, key_for, in_tenant
):
    from integrations.models import WebhookDelivery

    with in_tenant(org_a):
        gone = AccountFactory(organization=org_a, name="Gone", external_id="SF-9")
    client = key_for(org_a)
    hook = client.post(
        "/api/v1/webhooks/",
        {"url": "https://example.com/in", "events": ["account.deleted"]},
        format="json",
    )
    assert hook.status_code == 201
    assert client.delete(f"/api/v1/accounts/{gone.pk}/").status_code == 204
    with in_tenant(org_a):
        (delivery,) = WebhookDelivery.objects.all()
    assert delivery.event == "account.deleted"
    assert (delivery.payload["account"], delivery.payload["external_id"]) == (gone.pk, "SF-9")


@pytest.mark.django_db(transaction=True)  # the migrations feed serves committed events only
def test_a_crm_polling_sees_new_scores_then_the_deletion_with_the_history_kept(
    org_a, org_b, placed, in_tenant, key_for
):
    from recompute.pipeline import accounts_recompute

    from ..conftest import uniform, wait_for
    from ..segments.test_migrations import feed

    with in_tenant(org_a):
        gone = AccountFactory(organization=org_a, name="Gone", external_id="SF/9")
    client = key_for(org_a)
    mark = timezone.now()
    placed(gone, nps=50, answers=uniform(5))
    with in_tenant(org_a):
        accounts_recompute(account_ids=[gone.pk])
    polled = _changed(client, mark)["Gone"]
    assert (polled["segment"], polled["chs"]) == ("expand_and_leverage", 100.0)
    wait_for(lambda: len(feed(client)["results"]) == 1)
    (moved,) = feed(client)["results"]
    assert (moved["account"], moved["external_id"], moved["account_deleted_at"]) == (
        gone.pk,
        "SF/9",
        None,
    )

    assert client.delete(f"/api/v1/accounts/{gone.pk}/").status_code == 204
    assert _changed(client, mark) == {}
    (tombstone,) = client.get("/api/v1/account-deletions/", {"since": mark.isoformat()}).json()[
        "results"
    ]
    assert (tombstone["account"], tombstone["external_id"]) == (gone.pk, "SF/9")
    # The move is still in the feed, at the same place, now marked deleted.
    (kept,) = feed(client)["results"]
    assert {k: kept[k] for k in ("id", "from_segment", "to_segment", "occurred_at")} == {
        k: moved[k] for k in ("id", "from_segment", "to_segment", "occurred_at")
    }
    assert (kept["account"], kept["external_id"]) == (gone.pk, "SF/9")
    assert kept["account_deleted_at"] == tombstone["deleted_at"]
    assert feed(key_for(org_b))["results"] == []
