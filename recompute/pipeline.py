"""The one recompute of accounts' derived columns, over the providers the apps register.

Production's drains and parts, the nightly rescoring, the demo, the benches and the tests all
run `accounts_recompute`. It works in one pass per chunk of accounts (core.chunks): lock their
rows before reading any input (so a recompute that started earlier never overwrites a later
one), read what is stored, let each provider compute its columns from its inputs in
registration order (core.derivation: the CMI, the CHS, then the cell placed by both), write
what changed in one UPDATE, then let each provider that changed something write its own rows
(snapshots, tier migrations) and announce its events. A provider whose inputs the causes
cannot have changed is skipped: its stored columns stand.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from django.utils import timezone

from accounts.models import Account
from core.chunks import CHUNK_ACCOUNTS
from core.derivation import MANUAL, Cause, Provider, providers
from core.events import event_emitted
from core.frames import column_where, python_value, values_same
from tenancy.context import current_organization_id

from .accounts import account_chunks, accounts_locked, accounts_write

KEY = "external_id"  # read beside the derived columns: events name the account by it


@dataclass
class Recomputed:
    """How many accounts each provider changed, by key."""

    changed: dict[str, int] = field(default_factory=dict)

    @property
    def moved(self) -> int:
        """How many accounts moved cell."""
        return self.changed.get("cell", 0)


def prepared_all(steps: list[Provider]) -> dict[str, object]:
    """What each provider reads once for a run, in order, each seeing the ones before."""
    prepared: dict[str, object] = {}
    for provider in steps:
        prepared[provider.key] = provider.prepare(prepared)
    return prepared


def scores_changed_emit(
    steps: list[Provider],
    current: pd.DataFrame,
    written: pd.DataFrame,
    now: datetime,
    cause: Cause,
) -> None:
    """`account.scores_changed` for each written account whose CHS, CMI or cell moved (not
    only its completeness or trend), with each moved score's before and after."""

    def value(pk: int, name: str, frame: pd.DataFrame) -> object:
        found = python_value(frame.at[pk, name])
        return None if found == "" else found  # a blank tier or cell: none

    def payloads() -> list[dict[str, object]]:
        moved = {}
        for provider in steps:
            for name in provider.scores:
                old, new = current.loc[written.index, name], written[name]
                same = (old == new) if name in provider.text else values_same(old, new)
                moved[name] = ~same.to_numpy()
        events = []
        for position, pk in enumerate(written.index):
            changes = {
                name: {"from": value(pk, name, current), "to": value(pk, name, written)}
                for name, flags in moved.items()
                if flags[position]
            }
            if changes:
                events.append(
                    {
                        "account": int(pk),
                        "external_id": python_value(current.at[pk, KEY]),
                        "changes": changes,
                        "cause": cause.kind.value or None,
                        "cause_id": cause.id,
                        "occurred_at": now,
                    }
                )
        return events

    event_emitted(
        organization_id=current_organization_id(),
        event="account.scores_changed",
        payloads=payloads,
    )


def accounts_recompute(
    *,
    account_ids: Collection[int] | None = None,
    between: tuple[int, int] | None = None,
    cause: Cause = MANUAL,
    redo: Collection[str] | None = None,
    now: datetime | None = None,
    progress: Callable[[float], None] | None = None,
) -> Recomputed:
    """Recompute the given accounts (all of the tenant's when None, or all with ids `between`
    two bounds). `redo` names the providers to run (all by default; a drain passes those its
    requests' causes can have changed, and the others' columns stand); `now` is the moment
    scored at and stamped."""
    steps = providers()
    redo = frozenset(p.key for p in steps) if redo is None else frozenset(redo)
    now = now or timezone.now()
    prepared = prepared_all(steps)
    fields = [KEY, *(name for p in steps for name in (*p.fields, p.stamp))]
    text = [name for p in steps for name in p.text]
    accounts = None if account_ids is None else Account.objects.filter(pk__in=list(account_ids))
    chunks = account_chunks(accounts, CHUNK_ACCOUNTS, between=between)
    total = sum(len(chunk.ids) for chunk in chunks)
    result, done = Recomputed({p.key: 0 for p in steps}), 0
    for chunk in chunks:
        current = accounts_locked(chunk, fields, text=text)
        stored = current.copy(deep=False)
        touched = pd.Series(False, index=current.index)
        fresh_of: dict[str, pd.DataFrame] = {}
        for provider in (p for p in steps if p.key in redo):
            fresh = provider.compute(chunk, prepared[provider.key], stored, now)
            changed = provider.changed(current, fresh)
            keep = changed.to_numpy()
            for name in provider.fields:
                stored[name] = column_where(keep, fresh[name], current[name])
            stored[provider.stamp] = column_where(keep, now, current[provider.stamp])
            touched |= changed
            if changed.any():
                fresh_of[provider.key] = fresh.loc[changed]
                result.changed[provider.key] += int(changed.sum())
        if touched.any():  # one UPDATE of every changed column: a row is rewritten once
            accounts_write(stored.loc[touched, fields[1:]])
            for provider in steps:
                if provider.key in fresh_of:
                    provider.written(current, fresh_of[provider.key], now, cause)
            scores_changed_emit(steps, current, stored.loc[touched], now, cause)
        done += len(chunk.ids)
        if progress:
            progress(done / max(total, 1))
    if progress:
        progress(1.0)
    return result
