"""The recompute of an account's derived state: CMI, then CHS, then its grid cell.

Every write that changes an account's inputs enqueues a recompute after commit (segments.tasks).
It runs in one pass per chunk of 100,000 accounts: lock their rows before reading any input (a
recompute never overwrites a newer one), read what is stored and the inputs as DataFrames,
compute with pandas, then write what changed in one statement per table. A migration is written
only when the stored cell really changes, so a duplicate or redelivered task finds nothing to
do. The playbooks matching a migration start in the same transaction.
"""

from collections.abc import Callable

import pandas as pd
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account
from accounts.services import (
    account_chunks,
    accounts_locked,
    accounts_write,
)
from config.frames import column_where, frame_insert, python_value
from health.recompute import FIELDS as HEALTH_FIELDS
from health.recompute import card_current, health_differs, level_changed_emit, snapshot_write
from health.recompute import compute as health_compute
from integrations.services import events_emit
from maturity.recompute import cmi_compute, cmi_differs, structure_primary
from playbooks.services import playbooks_active, runs_start_for_migrations
from tenancy.context import current_organization_id

from .cells import segment_of
from .models import TierMigration

CHUNK = 100_000
CMI_FIELDS = ["cmi", "cmi_tier"]
SEGMENT_INPUTS = ["chs_level", "cmi_tier", "segment", "external_id"]
STORED = [
    *CMI_FIELDS,
    "cmi_updated_at",
    *HEALTH_FIELDS,
    "chs_updated_at",
    "segment",
    "segment_updated_at",
    "external_id",
]
STORED_TEXT = ["cmi_tier", "chs_level", "segment"]
EVERYTHING = frozenset({"cmi", "chs"})
# What each cause of a recompute can have changed: a submission moves the CMI alone, a metric
# the CHS alone. A cause not named here (a manual or tenant-wide recompute) redoes both.
PARTS = {
    "assessment": frozenset({"cmi"}),
    "framework": frozenset({"cmi"}),
    "metrics": frozenset({"chs"}),
    "override": frozenset({"chs"}),
    "override_expired": frozenset({"chs"}),
    "scorecard": frozenset({"chs"}),
    "daily": frozenset({"chs"}),  # health.tasks.daily_snapshots: the CHS moves with time
}


def parts_of(causes) -> frozenset:
    """The parts (cmi, chs) that recomputes with these causes must redo; the cell always."""
    return frozenset().union(*(PARTS.get(cause, EVERYTHING) for cause in causes))


def transaction_id() -> int:
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return cursor.fetchone()[0]


def bands() -> tuple[list[str], list[str]]:
    """The CHS level names and CMI tier names, lowest first."""
    return bands_of(card_current(), structure_primary()[1])


def bands_of(card, structure) -> tuple[list[str], list[str]]:
    """The level names of a scorecard's card and the tier names of a framework's structure."""
    levels = [name for name, _ in card.levels] if card else []
    tiers = [name for name, _ in structure.tiers] if structure else []
    return levels, tiers


def migrations_write(
    current: pd.DataFrame,
    changed: pd.Series,
    *,
    cause: tuple[str, int | None],
    now,
    txid_cache: list,
) -> int:
    """Write a TierMigration per changed cell (the accounts' rows are written by the caller),
    start the playbooks and emit the events. `current` has the stored segment and
    external_id; returns the count."""
    if changed.empty:
        return 0
    if not txid_cache:
        txid_cache.append(transaction_id())
    frame_insert(
        TierMigration,
        pd.DataFrame(
            {
                "organization": str(current_organization_id()),  # not a UUID per row
                "account": changed.index.astype("int64"),
                "from_segment": current.loc[changed.index, "segment"].to_numpy(),
                "to_segment": changed.to_numpy(),
                "cause": cause[0] or "",
                "cause_id": pd.array([cause[1]] * len(changed), dtype="Int64"),
                "occurred_at": now,
                "txid": txid_cache[0],
            }
        ),
    )
    if playbooks_active():
        written = TierMigration.objects.filter(
            account_id__in=list(changed.index), occurred_at=now, txid=txid_cache[0]
        )
        runs_start_for_migrations(migrations=list(written), now=now)

    def payloads():
        external = current["external_id"]
        return [
            {
                "account": int(pk),
                "external_id": python_value(external.get(pk)),
                "from_segment": current.at[pk, "segment"] or None,
                "to_segment": cell or None,
                "cause": cause[0] or None,
                "cause_id": cause[1],
                "occurred_at": now,
            }
            for pk, cell in changed.items()
        ]

    events_emit(
        organization_id=current_organization_id(), event="account.migrated", payloads=payloads
    )
    return len(changed)


def accounts_recompute_segment(
    *,
    accounts: QuerySet[Account] | None = None,
    cause: tuple[str, int | None] = ("", None),
    now=None,
) -> int:
    """Store each account's cell from its stored CHS level and CMI tier; write a
    TierMigration for each change. Returns the count."""
    levels, tiers = bands()
    now = now or timezone.now()
    txid, moved = [], 0
    for chunk in account_chunks(accounts, CHUNK):
        current = accounts_locked(chunk, SEGMENT_INPUTS, text=STORED_TEXT)
        fresh = segment_of(current["chs_level"], current["cmi_tier"], levels, tiers)
        changed = fresh[fresh != current["segment"]]
        accounts_write(pd.DataFrame({"segment": changed, "segment_updated_at": now}))
        moved += migrations_write(current, changed, cause=cause, now=now, txid_cache=txid)
    return moved


def stored_where(current, changed: pd.Series, fresh, fields: list[str], stamp: str, now):
    """The columns `fields` and `stamp` as they are to be stored: `fresh`'s values and `now`
    where `changed`, else the `current` ones."""
    keep = changed.to_numpy()
    return {field: column_where(keep, fresh[field], current[field]) for field in fields} | {
        stamp: column_where(keep, now, current[stamp])
    }


def accounts_recompute(
    *,
    account_ids: list[int] | None = None,
    between: tuple[int, int] | None = None,
    cause: tuple[str, int | None] = ("", None),
    progress: Callable[[float], None] | None = None,
    parts: frozenset = EVERYTHING,
) -> int:
    """CMI, CHS and cell of the given accounts (all when None, or all with ids `between` two
    bounds). Returns how many moved cell.

    One pass per chunk of accounts: lock their rows, read what is stored, compute the CMI
    and the CHS from their inputs and the cell from both, then one UPDATE of every changed
    column and one INSERT each of the snapshots and the migrations. `parts` leaves out the
    CMI or the CHS when its inputs have not changed (`parts_of`): the stored one stands.
    """
    accounts = None if account_ids is None else Account.objects.filter(pk__in=account_ids)
    framework, structure = structure_primary()  # both, for the cell's level and tier names
    card = card_current()
    levels, tiers = bands_of(card, structure)
    now = timezone.now()
    txid, moved, done = [], 0, 0
    chunks = account_chunks(accounts, CHUNK, between=between)
    total = sum(len(chunk.ids) for chunk in chunks)
    for chunk in chunks:
        current = accounts_locked(chunk, STORED, text=STORED_TEXT)
        unchanged = pd.Series(False, index=current.index)
        if "cmi" in parts:
            cmi = cmi_compute(chunk, framework, structure)
            cmi_changed = cmi_differs(current, cmi)
        else:
            cmi, cmi_changed = current, unchanged
        if "chs" in parts:
            chs = health_compute(chunk, now=now, card=card)
            chs_changed, scored, level_changed = health_differs(current, chs)
        else:
            chs, chs_changed, scored, level_changed = current, *[unchanged] * 3
        rows = pd.DataFrame(
            stored_where(current, cmi_changed, cmi, CMI_FIELDS, "cmi_updated_at", now)
            | stored_where(current, chs_changed, chs, HEALTH_FIELDS, "chs_updated_at", now),
            index=current.index,
        )
        rows["segment"] = segment_of(rows["chs_level"], rows["cmi_tier"], levels, tiers)
        moved_cell = rows["segment"] != current["segment"]
        rows["segment_updated_at"] = column_where(
            moved_cell.to_numpy(), now, current["segment_updated_at"]
        )
        touched = cmi_changed | chs_changed | moved_cell
        if touched.any():  # one UPDATE of every changed column: a row is rewritten once
            accounts_write(rows.loc[touched])
            snapshot_write(chs.loc[scored], now)
            level_changed_emit(current, chs, level_changed, now)
        moved += migrations_write(
            current, rows.loc[moved_cell, "segment"], cause=cause, now=now, txid_cache=txid
        )
        done += len(chunk.ids)
        if progress:
            progress(done / max(total, 1))
    if progress:
        progress(1.0)
    return moved
