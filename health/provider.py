"""The CHS's step of the recompute (core.derivation.Provider), and why an account's CHS is
what it is: the same pandas scoring for one account and a whole tenant."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account
from core.chunks import Chunk
from core.derivation import CauseKind
from core.events import event_emitted
from core.frames import frame_insert, frame_read, latest_of, python_value, values_same
from tenancy.context import current_organization_id

from . import scoring
from .models import HealthOverride, HealthSnapshot, MetricLatest, MetricValue
from .selectors import card_of, scorecard_active

TREND_DAYS = 30
FIELDS = ["chs", "chs_level", "chs_completeness", "chs_stale", "chs_overridden", "chs_trend_30"]


def latest_values(
    chunk: Chunk | Sequence[int], metrics: Collection[str], now: datetime | None = None
) -> pd.DataFrame:
    """The latest value observed by `now` of each metric for each account.

    Read from MetricLatest, one row per (account, metric) whatever the history. Where that
    row was observed after `now` (a value stamped up to a few minutes ahead, or a `now` in
    the past), the account's values are read from the history instead.
    """
    chunk = chunk if isinstance(chunk, Chunk) else Chunk.of(chunk)
    now = now or timezone.now()
    metrics = list(metrics)
    latest = _values_frame(
        MetricLatest.objects.filter(chunk.where(), metric__in=metrics), few=chunk.few
    )
    later = latest["observed_at"] > pd.Timestamp(now)
    if not later.any():
        return latest
    accounts = Chunk.of(set(latest.loc[later, "account"].tolist()))
    history = MetricValue.objects.filter(accounts.where(), metric__in=metrics, observed_at__lte=now)
    before = _values_frame(
        latest_of(history, ["account_id", "metric"], ["observed_at", "id"]), few=accounts.few
    )
    kept = latest[~latest["account"].isin(accounts.ids)]
    return pd.concat([kept, before], ignore_index=True) if len(before) else kept


def _values_frame(rows: QuerySet, few: bool) -> pd.DataFrame:
    return frame_read(
        rows.values_list("account_id", "metric", "number", "text", "observed_at"),
        columns=["account", "metric", "number", "text", "observed_at"],
        dtypes={"account": "int64", "number": "float64"},
        text=["metric", "text"],
        datetimes=["observed_at"],
        few=few,
    )


def active_overrides(chunk: Chunk, now) -> pd.Series:
    rows = HealthOverride.objects.filter(chunk.where(), expires_at__gt=now, ended_at__isnull=True)
    frame = frame_read(
        latest_of(rows, ["account_id"], ["created_at", "id"]).values_list("account_id", "score"),
        columns=["account", "score"],
        dtypes={"account": "int64", "score": "float64"},
        few=chunk.few,
    )
    return frame.set_index("account")["score"]


def scores_before(chunk: Chunk, moment) -> pd.Series:
    """Each account's snapshot score as it stood at `moment`."""
    rows = HealthSnapshot.objects.filter(chunk.where(), taken_at__lte=moment)
    frame = frame_read(
        latest_of(rows, ["account_id"], ["taken_at", "id"]).values_list("account_id", "score"),
        columns=["account", "score"],
        dtypes={"account": "int64", "score": "float64"},
        few=chunk.few,
    )
    return frame.set_index("account")["score"]


def compute(account_ids: Chunk | Sequence[int], *, now=None, card=None) -> pd.DataFrame:
    """The stored fields, per account, as they should be now."""
    chunk = account_ids if isinstance(account_ids, Chunk) else Chunk.of(account_ids)
    now = now or timezone.now()
    index = pd.Index(chunk.ids, name="account")
    result = pd.DataFrame(index=index)
    if card is None:
        scorecard = scorecard_active()
        card = card_of(scorecard) if scorecard else None
    if card is None:
        result["chs"], result["chs_level"], result["chs_completeness"] = np.nan, "", np.nan
        result["chs_stale"] = result["chs_overridden"] = False
        result["chs_trend_30"] = np.nan
        return result
    latest = latest_values(chunk, {m.metric for m in card.measures}, now)
    summary, _ = scoring.score_frame(
        latest, card, accounts=chunk.ids, as_of=pd.Timestamp(now), detail=False
    )
    overrides = active_overrides(chunk, now).reindex(index)
    result["chs"] = overrides.where(overrides.notna(), summary["score"])
    result["chs_level"] = scoring.level_of(result["chs"], card.levels)
    result["chs_completeness"] = summary["completeness"]
    result["chs_stale"] = summary["stale"]
    result["chs_overridden"] = overrides.notna()
    before = scores_before(chunk, now - timedelta(days=TREND_DAYS)).reindex(index)
    result["chs_trend_30"] = result["chs"] - before
    return result


def card_current():
    scorecard = scorecard_active()
    return card_of(scorecard) if scorecard else None


def health_differs(current: pd.DataFrame, fresh: pd.DataFrame):
    """(rows to write, rows whose score changed: snapshot them, rows whose level changed)."""
    scored = ~(
        values_same(current["chs"], fresh["chs"])
        & values_same(current["chs_completeness"], fresh["chs_completeness"])
        & (current["chs_level"] == fresh["chs_level"])
        & (current["chs_stale"].astype(bool) == fresh["chs_stale"].astype(bool))
        & (current["chs_overridden"].astype(bool) == fresh["chs_overridden"].astype(bool))
    )
    differs = scored | ~values_same(current["chs_trend_30"], fresh["chs_trend_30"])
    return differs, scored, current["chs_level"] != fresh["chs_level"]


def level_changed_emit(current: pd.DataFrame, fresh: pd.DataFrame, changed: pd.Series, now):
    ids = changed.index[changed.to_numpy()]
    if not len(ids):
        return

    def payloads():
        external = dict(Account.objects.filter(pk__in=list(ids)).values_list("pk", "external_id"))
        return [
            {
                "account": int(pk),
                "external_id": external.get(pk),
                "from_level": current.at[pk, "chs_level"] or None,
                "to_level": fresh.at[pk, "chs_level"] or None,
                "score": python_value(fresh.at[pk, "chs"]),
                "occurred_at": now,
            }
            for pk in ids
        ]

    event_emitted(
        organization_id=current_organization_id(), event="health.level_changed", payloads=payloads
    )


def snapshot_write(rows: pd.DataFrame, now) -> None:
    if rows.empty:  # building the frame costs more than the insert it would skip
        return
    frame_insert(
        HealthSnapshot,
        pd.DataFrame(
            {
                "organization": str(current_organization_id()),  # not a UUID per row
                "account": rows.index.astype("int64"),
                "score": rows["chs"].astype(float),
                "level": rows["chs_level"],
                "completeness": rows["chs_completeness"].astype(float).fillna(0.0),
                "stale": rows["chs_stale"].astype(bool),
                "overridden": rows["chs_overridden"].astype(bool),
                "taken_at": now,
            }
        ),
    )


def snapshot_daily(*, now=None) -> int:
    """Snapshot every scored account not yet snapshotted today, so trends have daily points."""
    now = now or timezone.now()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    done = HealthSnapshot.objects.filter(taken_at__gte=day_start).values("account_id")
    rows = frame_read(
        Account.objects.exclude(pk__in=done).exclude(chs=None).values_list("pk", *FIELDS),
        columns=["account", *FIELDS],
        text=["chs_level"],
    ).set_index("account")
    snapshot_write(rows, now)
    return len(rows)


@dataclass(frozen=True)
class ActiveCard:
    """The active scorecard's card, read once per run."""

    card: scoring.Card | None

    @property
    def bands(self) -> list[str]:
        """The level names, lowest first: what the cell is placed by."""
        return [name for name, _ in self.card.levels] if self.card else []


class CHS:
    key = "chs"
    fields = tuple(FIELDS)
    text = ("chs_level",)
    scores = ("chs", "chs_level")  # not completeness, staleness or the trend
    stamp = "chs_updated_at"
    causes = frozenset(
        {
            CauseKind.METRICS,
            CauseKind.OVERRIDE,
            CauseKind.OVERRIDE_EXPIRED,
            CauseKind.SCORECARD,
            CauseKind.DAILY,  # the CHS moves with time alone: values age, the trend slides
        }
    )

    def prepare(self, earlier: Mapping[str, object]) -> ActiveCard:
        return ActiveCard(card_current())

    def compute(self, chunk: Chunk, prepared: ActiveCard, stored, now) -> pd.DataFrame:
        return compute(chunk, now=now, card=prepared.card)

    def changed(self, current: pd.DataFrame, fresh: pd.DataFrame) -> pd.Series:
        return health_differs(current, fresh)[0]

    def written(self, current, fresh, now, cause) -> None:
        """A snapshot of each new score, and the level changes' webhook events."""
        before = current.loc[fresh.index]
        _, scored, level_changed = health_differs(before, fresh)
        snapshot_write(fresh.loc[scored], now)
        level_changed_emit(before, fresh, level_changed, now)


@dataclass
class Explanation:
    score: float | None
    computed: float | None
    level: str
    completeness: float
    stale: bool
    override: HealthOverride | None
    drivers: list[dict]
    groups: list[dict]

    @property
    def missing(self) -> list[dict]:
        return [d for d in self.drivers if d["status"] != scoring.OK]


def account_health_explain(account: Account, *, now=None) -> Explanation | None:
    """Why the account's CHS is what it is: each measure's value, points and contribution."""
    now = now or timezone.now()
    scorecard = scorecard_active()
    if scorecard is None:
        return None
    card = card_of(scorecard)
    latest = latest_values([account.pk], {m.metric for m in card.measures}, now)
    summary, detail = scoring.score_frame(
        latest, card, accounts=[account.pk], as_of=pd.Timestamp(now)
    )
    assert detail is not None  # asked for, as score_frame's detail=True gives
    row = summary.iloc[0]
    override = (
        HealthOverride.objects.filter(account=account, expires_at__gt=now, ended_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    measures = {m.key: m for m in card.measures}
    observed = latest.set_index("metric")["observed_at"] if len(latest) else pd.Series(dtype=object)
    drivers = []
    for (_, key), values in detail.iterrows():
        m = measures[key]
        drivers.append(
            {
                "measure": key,
                "name": m.name,
                "group": m.group,
                "metric": m.metric,
                "raw": python_value(values["raw"]),
                "status": values["status"],
                "points": python_value(values["points"]),
                "weight": float(values["weight"]),
                "contribution": float(values["contribution"]),
                "lost": float(values["weight"]) * (100 - (python_value(values["points"]) or 0)),
                "observed_at": python_value(observed.get(m.metric)),
            }
        )
    drivers.sort(key=lambda d: (d["status"] != scoring.OK, -d["lost"]))
    group_names = {g.key: g.name for g in scorecard.groups.all()}
    groups = [
        {
            "group": key,
            "name": group_names[key],
            "contribution": sum(d["contribution"] for d in drivers if d["group"] == key),
            "weight": sum(d["weight"] for d in drivers if d["group"] == key),
        }
        for key in card.groups
    ]
    computed = python_value(row["score"])
    score = override.score if override else computed
    return Explanation(
        score=score,
        computed=computed,
        level=scoring.level_of(pd.Series([score], dtype=float), card.levels).iloc[0],
        completeness=float(row["completeness"]),
        stale=bool(row["stale"]),
        override=override,
        drivers=drivers,
        groups=groups,
    )
