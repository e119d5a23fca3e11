"""The contract between the apps that derive an account's columns and the recompute that runs
them.

Maturity (the CMI), health (the CHS) and segments (the grid cell) each register one
`Provider` in their AppConfig.ready; the recompute app (`recompute.pipeline`) loops over them
in registration order, which is INSTALLED_APPS order, so the cell comes after the scores it is
placed by. A write that changes an account's inputs asks for a recompute with
`recompute_requested`, in its own transaction; the recompute app answers it (its outbox).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

import pandas as pd
from django.db import models
from django.utils.module_loading import import_string

from .chunks import Chunk
from .hooks import Hook


class CauseKind(models.TextChoices):
    """Why accounts are recomputed. Each provider names the kinds that change its inputs; a
    kind no provider names (a manual or demo recompute) redoes every provider."""

    MANUAL = "", "Manual"
    ASSESSMENT = "assessment", "Assessment submitted"
    FRAMEWORK = "framework", "Framework changed"
    METRICS = "metrics", "Metric values"
    OVERRIDE = "override", "Override set or ended"
    OVERRIDE_EXPIRED = "override_expired", "Override expired"
    SCORECARD = "scorecard", "Scorecard changed"
    DAILY = "daily", "Nightly rescoring"
    DEMO = "demo", "Demo data"


@dataclass(frozen=True)
class Cause:
    """A recompute's cause: its kind and, where there is one, the row that set it off (the
    assessment, the framework, the override…), as migrations and webhooks report it."""

    kind: CauseKind = CauseKind.MANUAL
    id: int | None = None

    @classmethod
    def of(cls, kind: str, id: int | None = None) -> "Cause":
        """From stored text; a kind this version no longer knows counts as manual."""
        return cls(CauseKind(kind) if kind in CauseKind.values else CauseKind.MANUAL, id)


MANUAL = Cause()


class Provider(Protocol):
    """One step of the recompute: some derived columns of the account, from its inputs."""

    key: str  # short and stable: "cmi", "chs", "cell"
    fields: Sequence[str]  # the derived columns it writes
    text: Sequence[str]  # which of them are text
    stamp: str  # the column set to the moment they change
    scores: Sequence[str]  # those an `account.scores_changed` event reports when they move
    causes: frozenset[CauseKind] | None  # the kinds that change its inputs; None: every kind

    def prepare(self, earlier: Mapping[str, Any]) -> Any:
        """What a run reads once for all its chunks (a framework's structure, a scorecard's
        card), given what the providers before it prepared, by key."""
        ...

    def compute(
        self, chunk: Chunk, prepared: Any, stored: pd.DataFrame, now: datetime
    ) -> pd.DataFrame:
        """`fields` for each account of the chunk, as they should be now. `stored` has every
        provider's columns as they are about to be stored: the earlier providers' fresh
        values, the rest as they are."""
        ...

    def changed(self, current: pd.DataFrame, fresh: pd.DataFrame) -> pd.Series:
        """Which accounts' `fields` really changed: a boolean Series on the chunk's ids."""
        ...

    def written(
        self, current: pd.DataFrame, fresh: pd.DataFrame, now: datetime, cause: Cause
    ) -> None:
        """After the chunk's accounts are written: the provider's own rows and events (the
        CHS's snapshots, the cell's tier migrations). `fresh` has only the accounts whose
        columns changed; `current` is the whole chunk as it was."""
        ...


_providers: list[str] = []


def provider_register(path: str) -> None:
    """Register a provider class by dotted path, from an AppConfig.ready."""
    if path not in _providers:
        _providers.append(path)
        _instances.cache_clear()


@cache
def _instances() -> tuple[Provider, ...]:
    return tuple(import_string(path)() for path in _providers)


def providers() -> list[Provider]:
    return list(_instances())


def providers_redone(causes: Sequence[CauseKind]) -> frozenset[str]:
    """The keys of the providers that recomputes with these causes must redo: those that name
    one of the causes, and every provider for a cause that none names."""
    steps = providers()
    claimed = frozenset().union(*(p.causes for p in steps if p.causes is not None))
    return frozenset(
        p.key
        for p in steps
        if p.causes is None or any(c not in claimed or c in p.causes for c in causes)
    )


# Called inside the writer's transaction with organization, account_ids (None: all) and
# cause; the recompute app registers the outbox write.
recompute_requested = Hook("recompute_requested", required=True)
