"""The recompute of an account's derived state: CMI, then CHS, then its grid cell.

Every write that changes an account's inputs enqueues `recompute` after commit. The steps lock
the account rows before reading inputs, so a recompute never overwrites a newer one, and a
migration is written only when the stored cell really changes: a duplicate or redelivered
task finds nothing to do. The playbooks matching a migration start in the same transaction.
"""

from collections.abc import Callable

import pandas as pd
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account
from accounts.services import accounts_lock, accounts_write
from health.models import HealthLevel
from health.recompute import accounts_recompute_health
from integrations.services import events_emit
from maturity.recompute import accounts_recompute_cmi
from maturity.selectors import framework_primary
from playbooks.services import runs_start_for_migrations
from tenancy.context import current_organization_id

from .cells import segment_of
from .models import TierMigration

CHUNK = 5000


def transaction_id() -> int:
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return cursor.fetchone()[0]


def bands() -> tuple[list[str], list[str]]:
    """The CHS level names and CMI tier names, lowest first."""
    levels = list(
        HealthLevel.objects.filter(scorecard__is_active=True).values_list("name", flat=True)
    )
    framework = framework_primary()
    tiers = (
        list(framework.current_version.tiers.values_list("name", flat=True)) if framework else []
    )
    return levels, tiers


def accounts_recompute_segment(
    *,
    accounts: QuerySet[Account] | None = None,
    cause: tuple[str, int | None] = ("", None),
    now=None,
) -> int:
    """Store each account's cell; write a TierMigration for each change. Returns the count."""
    accounts = Account.objects.all() if accounts is None else accounts
    ids = list(accounts.order_by("pk").values_list("pk", flat=True))
    levels, tiers = bands()
    now = now or timezone.now()
    txid = None
    moved = 0
    for start in range(0, len(ids), CHUNK):
        chunk = accounts_lock(ids[start : start + CHUNK])
        frame = pd.DataFrame.from_records(
            Account.objects.filter(pk__in=chunk).values_list(
                "pk", "chs_level", "cmi_tier", "segment"
            ),
            columns=["account", "chs_level", "cmi_tier", "segment"],
        ).set_index("account")
        fresh = segment_of(frame["chs_level"], frame["cmi_tier"], levels, tiers)
        changed = fresh[fresh != frame["segment"]]
        if changed.empty:
            continue
        txid = txid if txid is not None else transaction_id()
        accounts_write(pd.DataFrame({"segment": changed, "segment_updated_at": now}))
        written = TierMigration.objects.bulk_create(
            [
                TierMigration(
                    organization_id=current_organization_id(),
                    account_id=pk,
                    from_segment=frame.at[pk, "segment"],
                    to_segment=cell,
                    cause=cause[0],
                    cause_id=cause[1],
                    occurred_at=now,
                    txid=txid,
                )
                for pk, cell in changed.items()
            ],
            batch_size=2000,
        )
        runs_start_for_migrations(migrations=written, now=now)
        external = dict(
            Account.objects.filter(pk__in=list(changed.index)).values_list("pk", "external_id")
        )
        events_emit(
            organization_id=current_organization_id(),
            event="account.migrated",
            payloads=[
                {
                    "account": pk,
                    "external_id": external.get(pk),
                    "from_segment": frame.at[pk, "segment"] or None,
                    "to_segment": cell or None,
                    "cause": cause[0] or None,
                    "cause_id": cause[1],
                    "occurred_at": now,
                }
                for pk, cell in changed.items()
            ],
        )
        moved += len(changed)
    return moved


def accounts_recompute(
    *,
    account_ids: list[int] | None = None,
    cause: tuple[str, int | None] = ("", None),
    progress: Callable[[float], None] | None = None,
) -> int:
    """CMI, CHS and cell of the given accounts (all when None). Returns how many moved cell."""
    accounts = (
        Account.objects.all() if account_ids is None else Account.objects.filter(pk__in=account_ids)
    )
    step = (
        (lambda base: lambda done, total: progress(base + (done / max(total, 1)) / 3))
        if progress
        else (lambda base: None)
    )
    accounts_recompute_cmi(accounts=accounts, progress=step(0))
    accounts_recompute_health(accounts=accounts, progress=step(1 / 3))
    moved = accounts_recompute_segment(accounts=accounts, cause=cause)
    if progress:
        progress(1.0)
    return moved
