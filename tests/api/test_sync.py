"""A CRM polling `changed_since` sees every derived change, and only changes."""

import pytest
from django.utils import timezone

from accounts.models import Account
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


def changes(client, since=None, limit=100) -> dict:
    params = {"limit": limit} | ({"since": since} if since else {})
    response = client.get("/api/v1/accounts/changes/", params)
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.django_db(transaction=True)  # the feed serves committed changes only
def test_the_changes_feed_serves_each_change_once_whoever_wrote_it(
    worker, org_a, org_b, placed, in_tenant, key_for
):
    from recompute.pipeline import accounts_recompute

    from ..conftest import uniform
    from ..recompute.test_outbox import settled

    client = key_for(org_a)
    items = [{"external_id": f"SF-{n}", "name": f"Account {n}"} for n in range(5)]
    assert client.post("/api/v1/accounts/bulk/", items, format="json").status_code == 200
    settled(org_a, in_tenant)  # the fixtures' recompute is the worker's: let it end first
    seen, cursor = [], None
    while True:  # the first read pages through everything
        page = changes(client, cursor, limit=2)
        seen += [row["external_id"] for row in page["results"]]
        cursor = page["next"]
        if not page["more"]:
            break
    assert sorted(seen) == [f"SF-{n}" for n in range(5)]
    assert changes(client, cursor)["results"] == []

    # A PATCH (updated_at), then recomputes (score stamps, twice): each account once, in the
    # order of its last change.
    ids = {
        row["external_id"]: row["id"] for row in client.get("/api/v1/accounts/").json()["results"]
    }
    assert client.patch(f"/api/v1/accounts/{ids['SF-3']}/", {"region": "EMEA"}).status_code == 200
    with in_tenant(org_a):
        scored = Account.objects.get(pk=ids["SF-1"])
    placed(scored, nps=50, answers=uniform(5))  # the worker recomputes its CMI
    settled(org_a, in_tenant)
    with in_tenant(org_a):  # and the metric's recompute, as a push through the API asks
        accounts_recompute(account_ids=[scored.pk])
    page = changes(client, cursor)
    assert [(row["external_id"], row["segment"]) for row in page["results"]] == [
        ("SF-3", None),
        ("SF-1", "expand_and_leverage"),
    ]
    assert page["results"][0]["region"] == "EMEA"
    # A recompute that changes nothing moves nothing.
    with in_tenant(org_a):
        accounts_recompute(account_ids=[scored.pk])
    assert changes(client, page["next"])["results"] == []
    assert changes(key_for(org_b))["results"] == []


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_late_is_not_skipped(org_a, in_tenant, key_for):
    import threading

    from django.db import connection, transaction

    early, late = AccountFactory(organization=org_a), AccountFactory(organization=org_a)
    client = key_for(org_a)
    start = changes(client)["next"]
    holding, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with in_tenant(org_a), transaction.atomic():  # takes its position first
                Account.objects.get(pk=early.pk).save(update_fields=["name", "updated_at"])
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    try:
        assert holding.wait(10)
        with in_tenant(org_a):
            Account.objects.get(pk=late.pk).save(update_fields=["name", "updated_at"])
        first = changes(client, start)
        assert first["results"] == [], "served a later change while an earlier one was in flight"
    finally:
        release.set()
        writer.join()
    second = changes(client, first["next"])
    assert [row["id"] for row in second["results"]] == [early.pk, late.pk]
    assert changes(client, second["next"])["results"] == []


def test_a_cursor_the_changes_feed_did_not_give_is_404(org_a, key_for):
    from ..problems import errors

    response = key_for(org_a).get("/api/v1/accounts/changes/", {"since": "garbage"})
    assert response.status_code == 404 and "since" in errors(response)
