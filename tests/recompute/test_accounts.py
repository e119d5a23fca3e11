"""A recompute reads an account's stored values and locks its row in the same statement."""

import threading

import pytest
from django.db import DatabaseError, connection

from accounts.models import Account
from core.chunks import FEW_ACCOUNTS
from recompute.accounts import account_chunks, accounts_locked

from ..factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


def lock_now(organization, ids, in_tenant) -> None:
    """Lock the rows from this connection without waiting; a DatabaseError if one is held."""
    with in_tenant(organization):
        list(Account.objects.filter(pk__in=ids).select_for_update(nowait=True))


# Both paths: a handful of accounts read through the ORM, more as one CSV text.
@pytest.mark.parametrize("count", [3, FEW_ACCOUNTS + 5])
def test_the_rows_read_stay_locked_until_the_recompute_commits(count, org_a, in_tenant):
    with in_tenant(org_a):
        accounts = [AccountFactory(organization=org_a, cmi=i / 10) for i in range(count)]
    ids = [account.pk for account in accounts]
    holding, release, read = threading.Event(), threading.Event(), {}

    def recompute():
        try:
            with in_tenant(org_a):
                (chunk,) = account_chunks(Account.objects.filter(pk__in=ids), 100_000)
                assert chunk.few == (count <= FEW_ACCOUNTS)
                read["frame"] = accounts_locked(chunk, ["cmi", "segment"], text=["segment"])
                holding.set()
                release.wait(10)
        finally:
            holding.set()
            connection.close()

    worker = threading.Thread(target=recompute)
    worker.start()
    try:
        assert holding.wait(10)
        assert list(read["frame"].index) == ids
        assert read["frame"]["cmi"].tolist() == pytest.approx([i / 10 for i in range(count)])
        for one in (ids[0], ids[-1]):
            with pytest.raises(DatabaseError, match="could not obtain lock"):
                lock_now(org_a, [one], in_tenant)
    finally:
        release.set()
        worker.join()
    lock_now(org_a, ids, in_tenant)  # released by the commit
