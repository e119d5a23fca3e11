"""Tier migrations: written once per real change, and a feed that misses and repeats nothing."""

import threading
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from accounts.models import Account
from core.derivation import Cause, CauseKind
from recompute.pipeline import accounts_recompute
from segments.models import TierMigration
from tests.recomputing import recompute_run

from ..conftest import uniform, wait_for
from ..factories import AccountFactory
from ..problems import errors

pytestmark = pytest.mark.django_db


def moves(org, in_tenant):
    with in_tenant(org):
        return list(
            TierMigration.objects.order_by("id").values_list("from_segment", "to_segment", "cause")
        )


def test_a_change_writes_one_migration_and_no_change_writes_none(
    org_a, account_a, placed, in_tenant
):
    placed(account_a, nps=50, answers=uniform(5))
    with in_tenant(org_a):
        assert (
            accounts_recompute(account_ids=[account_a.pk], cause=Cause(CauseKind.METRICS)).moved
            == 1
        )
        assert accounts_recompute(account_ids=[account_a.pk]).moved == 0
        assert Account.objects.get(pk=account_a.pk).segment == "expand_and_leverage"
    placed(account_a, nps=-50)
    with in_tenant(org_a):
        accounts_recompute(account_ids=[account_a.pk], cause=Cause(CauseKind.METRICS))
    assert moves(org_a, in_tenant) == [
        ("", "expand_and_leverage", "metrics"),
        ("expand_and_leverage", "save", "metrics"),
    ]


def test_duplicate_and_redelivered_tasks_write_no_duplicate(org_a, account_a, placed, in_tenant):
    placed(account_a, nps=50, answers=uniform(1))
    for _ in range(3):  # the same task delivered three times
        recompute_run(str(org_a.id), [account_a.pk], ["assessment", 1])
    recompute_run(str(org_a.id), None, ["scorecard", 1])  # and a tenant-wide one on top
    assert moves(org_a, in_tenant) == [("", "retain", "assessment")]


def test_an_account_without_a_chs_stays_unsegmented(org_a, account_a, placed, in_tenant):
    placed(account_a, answers=uniform(3))
    with in_tenant(org_a):
        accounts_recompute()
        account = Account.objects.get(pk=account_a.pk)
    assert (account.cmi_tier, account.chs, account.segment) == ("Medium", None, "")
    assert moves(org_a, in_tenant) == []


def test_the_api_carries_scores_and_segment(org_a, account_a, placed, in_tenant, key_for):
    placed(account_a, nps=0, answers=uniform(3))
    other = AccountFactory(organization=org_a)
    with in_tenant(org_a):
        accounts_recompute()
    client = key_for(org_a)
    body = client.get(f"/api/v1/accounts/{account_a.pk}/").json()
    assert (body["cmi"], body["cmi_tier"], body["chs"], body["chs_level"], body["segment"]) == (
        3.0,
        "Medium",
        50.0,
        "Medium",
        "core",
    )
    assert client.get(f"/api/v1/accounts/{other.pk}/").json()["segment"] is None


def feed(client, since=None, limit=100):
    params = {"limit": limit} | ({"since": since} if since else {})
    response = client.get("/api/v1/migrations/", params)
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.django_db(transaction=True)  # the feed serves committed events only
def test_the_feed_pages_without_repeating(org_a, placed, in_tenant, key_for):
    accounts = [AccountFactory(organization=org_a) for _ in range(5)]
    for account in accounts:
        placed(account, nps=50, answers=uniform(4))
    with in_tenant(org_a):
        accounts_recompute()
    client = key_for(org_a)
    # Served once every transaction older than theirs has ended (a worker may be mid-recompute).
    wait_for(lambda: len(feed(client)["results"]) == 5)
    seen, cursor = [], None
    while True:
        page = feed(client, cursor, limit=2)
        seen += [event["account"] for event in page["results"]]
        cursor = page["next"]
        if not page["more"]:
            break
    assert sorted(seen) == sorted(a.pk for a in accounts)
    assert feed(client, cursor)["results"] == []


@pytest.mark.parametrize("cursor", ["garbage", "Zm9vOmJhcg", "LTE6LTE"])
def test_a_cursor_this_feed_did_not_give_is_404(cursor, org_a, key_for):
    response = key_for(org_a).get("/api/v1/migrations/", {"since": cursor})
    assert response.status_code == 404 and "since" in errors(response)


@pytest.mark.django_db(transaction=True)  # the feed serves committed events only
def test_the_feed_is_per_organization(org_a, org_b, account_a, placed, in_tenant, key_for):
    placed(account_a, nps=50, answers=uniform(4))
    with in_tenant(org_a):
        accounts_recompute()
    wait_for(lambda: len(feed(key_for(org_a))["results"]) == 1)
    assert feed(key_for(org_b))["results"] == []


@pytest.mark.django_db(transaction=True)
def test_a_migration_committed_late_is_not_skipped(org_a, cmi_framework, in_tenant, key_for):
    from health.models import Scorecard
    from health.services import scorecard_create_from_template

    early, late = AccountFactory(organization=org_a), AccountFactory(organization=org_a)
    with in_tenant(org_a):  # no task is enqueued: a worker must not race this test's writers
        scorecard_create_from_template(organization=org_a, template="chs", activate=False)
        Scorecard.objects.update(is_active=True)
        Account.objects.filter(pk__in=[early.pk, late.pk]).update(chs_level="High", cmi_tier="High")
    holding, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with in_tenant(org_a):  # starts first, so its transaction id is the lower one
                accounts_recompute(account_ids=[early.pk], redo={"cell"})
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert holding.wait(10)
    with in_tenant(org_a):
        accounts_recompute(account_ids=[late.pk], redo={"cell"})
    client = key_for(org_a)
    first = feed(client)
    assert first["results"] == [], "served a later event while an earlier one was in flight"
    release.set()
    writer.join()
    second = feed(client, first["next"])
    assert [e["account"] for e in second["results"]] == [early.pk, late.pk]
    assert feed(client, second["next"])["results"] == []


@contextmanager
def open_transaction(dbname: str):
    """A transaction with an id, held open in `dbname` by a connection of the test's own."""
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], dbname=dbname, user="postgres", autocommit=False
    ) as other:
        other.execute("SELECT pg_current_xact_id()")
        try:
            yield
        finally:
            other.rollback()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where", ["this database", "another database"])
def test_an_unrelated_long_transaction_does_not_hold_the_feed_back(
    where, org_a, account_a, placed, in_tenant, key_for
):
    """A transaction open elsewhere (here or in another database, as a long report would be)
    used to hold every tenant's new migrations back until it ended: the feed served only
    transactions older than the oldest running. Now it serves them on the first read."""
    dbname = connection.settings_dict["NAME"] if where == "this database" else "postgres"
    client = key_for(org_a)
    with open_transaction(dbname):
        placed(account_a, nps=50, answers=uniform(4))
        with in_tenant(org_a):
            accounts_recompute()
        assert [e["account"] for e in feed(client)["results"]] == [account_a.pk]


@pytest.mark.django_db(transaction=True)
def test_another_tenants_writer_in_flight_does_not_hold_the_feed_back(
    org_a, org_b, account_a, placed, in_tenant, key_for
):
    from tenancy.feed import position_take

    holding, release = threading.Event(), threading.Event()

    def writer_of_b():
        try:
            with in_tenant(org_b), transaction.atomic():
                position_take()  # B's writer, between its position and its commit
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer_of_b)
    thread.start()
    try:
        assert holding.wait(10)
        placed(account_a, nps=50, answers=uniform(4))
        with in_tenant(org_a):
            accounts_recompute()
        assert [e["account"] for e in feed(key_for(org_a))["results"]] == [account_a.pk]
    finally:
        release.set()
        thread.join()


def test_a_deleted_accounts_migrations_are_handed_to_its_tombstone(
    org_a, account_a, placed, in_tenant, alice, client_for
):
    from accounts.models import AccountDeletion

    placed(account_a, nps=50, answers=uniform(5))
    with in_tenant(org_a):
        accounts_recompute(account_ids=[account_a.pk], cause=Cause(CauseKind.METRICS))
    alice.is_staff = alice.is_superuser = True
    alice.save()
    # The admin's delete is the app's: tombstone, kept history.
    response = client_for(alice).post(
        f"/admin/accounts/account/{account_a.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    with in_tenant(org_a):
        tombstone = AccountDeletion.objects.get()
        (kept,) = TierMigration.objects.all()
        assert (kept.account, kept.deletion, kept.account_ids) == (
            None,
            tombstone,
            (account_a.pk, account_a.external_id),
        )


def test_deleting_an_account_around_its_tombstone_is_refused(org_a, account_a, placed, in_tenant):
    from django.db import IntegrityError

    placed(account_a, nps=50, answers=uniform(5))
    with in_tenant(org_a):
        accounts_recompute(account_ids=[account_a.pk], cause=Cause(CauseKind.METRICS))
        refused = pytest.raises(IntegrityError, match="migration_of_an_account_or_its_tombstone")
        with refused, transaction.atomic():
            Account.objects.filter(pk=account_a.pk).delete()
        assert TierMigration.objects.filter(account=account_a).count() == 1
