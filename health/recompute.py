"""The account's stored CHS, recomputed in bulk with pandas: one account or a whole tenant."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account
from accounts.services import accounts_lock, accounts_write, python_value
from integrations.services import events_emit
from tenancy.context import current_organization_id

from . import scoring
from .models import HealthOverride, HealthSnapshot, MetricValue
from .selectors import card_of, scorecard_active

CHUNK = 5000
TREND_DAYS = 30
FIELDS = ["chs", "chs_level", "chs_completeness", "chs_stale", "chs_overridden", "chs_trend_30"]


def latest_values(account_ids: Sequence[int], metrics: Sequence[str], now=None) -> pd.DataFrame:
    """The latest value observed by `now` of each metric for each account."""
    rows = (
        MetricValue.objects.filter(
            account_id__in=list(account_ids),
            metric__in=list(metrics),
            observed_at__lte=now or timezone.now(),
        )
        .order_by("account_id", "metric", "observed_at", "id")
        .values_list("account_id", "metric", "number", "text", "observed_at")
    )
    frame = pd.DataFrame.from_records(
        rows, columns=["account", "metric", "number", "text", "observed_at"]
    )
    return frame.drop_duplicates(["account", "metric"], keep="last")


def active_overrides(account_ids: Sequence[int], now) -> pd.Series:
    rows = (
        HealthOverride.objects.filter(
            account_id__in=list(account_ids), expires_at__gt=now, ended_at__isnull=True
        )
        .order_by("account_id", "created_at")
        .values_list("account_id", "score")
    )
    frame = pd.DataFrame.from_records(rows, columns=["account", "score"])
    return frame.drop_duplicates("account", keep="last").set_index("account")["score"]


def scores_before(account_ids: Sequence[int], moment) -> pd.Series:
    """Each account's snapshot score as it stood at `moment`."""
    rows = (
        HealthSnapshot.objects.filter(account_id__in=list(account_ids), taken_at__lte=moment)
        .order_by("account_id", "taken_at")
        .values_list("account_id", "score")
    )
    frame = pd.DataFrame.from_records(rows, columns=["account", "score"])
    return frame.drop_duplicates("account", keep="last").set_index("account")["score"]


def compute(account_ids: Sequence[int], *, now=None) -> pd.DataFrame:
    """The stored fields, per account, as they should be now."""
    now = now or timezone.now()
    index = pd.Index(account_ids, name="account")
    result = pd.DataFrame(index=index)
    scorecard = scorecard_active()
    if scorecard is None:
        result["chs"], result["chs_level"], result["chs_completeness"] = np.nan, "", np.nan
        result["chs_stale"] = result["chs_overridden"] = False
        result["chs_trend_30"] = np.nan
        return result
    card = card_of(scorecard)
    latest = latest_values(account_ids, {m.metric for m in card.measures}, now)
    summary, _ = scoring.score_frame(latest, card, accounts=account_ids, as_of=pd.Timestamp(now))
    overrides = active_overrides(account_ids, now).reindex(index)
    result["chs"] = overrides.where(overrides.notna(), summary["score"])
    result["chs_level"] = scoring.level_of(result["chs"], card.levels)
    result["chs_completeness"] = summary["completeness"]
    result["chs_stale"] = summary["stale"]
    result["chs_overridden"] = overrides.notna()
    before = scores_before(account_ids, now - timedelta(days=TREND_DAYS)).reindex(index)
    result["chs_trend_30"] = result["chs"] - before
    return result


def accounts_recompute_health(
    *,
    accounts: QuerySet[Account] | None = None,
    progress: Callable[[int, int], None] | None = None,
    now=None,
) -> int:
    """Recompute and store the CHS of `accounts` (all by default); snapshot what changed."""
    accounts = Account.objects.all() if accounts is None else accounts
    ids = list(accounts.order_by("pk").values_list("pk", flat=True))
    now = now or timezone.now()
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = accounts_lock(ids[start : start + CHUNK])
        fresh = compute(chunk, now=now)
        current = (
            pd.DataFrame.from_records(
                Account.objects.filter(pk__in=chunk).values_list("pk", *FIELDS),
                columns=["account", *FIELDS],
            )
            .set_index("account")
            .reindex(fresh.index)
        )
        changed += _write(current, fresh, now)
        if progress:
            progress(start + len(chunk), len(ids))
    return changed


def _same(old: pd.Series, new: pd.Series) -> pd.Series:
    old, new = old.astype(float), new.astype(float)
    return (old.isna() & new.isna()) | np.isclose(old, new, rtol=0, atol=1e-9)


def _write(current: pd.DataFrame, fresh: pd.DataFrame, now) -> int:
    scored = ~(
        _same(current["chs"], fresh["chs"])
        & _same(current["chs_completeness"], fresh["chs_completeness"])
        & (current["chs_level"] == fresh["chs_level"])
        & (current["chs_stale"].astype(bool) == fresh["chs_stale"].astype(bool))
        & (current["chs_overridden"].astype(bool) == fresh["chs_overridden"].astype(bool))
    )
    trend = ~_same(current["chs_trend_30"], fresh["chs_trend_30"])
    differs = scored | trend
    if not differs.any():
        return 0
    rows = fresh.loc[differs]
    accounts_write(rows[FIELDS].assign(chs_updated_at=now))
    snapshot_write(fresh.loc[scored], now)
    level_changed = rows.index[(current.loc[differs, "chs_level"] != rows["chs_level"]).to_numpy()]
    if len(level_changed):
        external = dict(
            Account.objects.filter(pk__in=list(level_changed)).values_list("pk", "external_id")
        )
        events_emit(
            organization_id=current_organization_id(),
            event="health.level_changed",
            payloads=[
                {
                    "account": int(pk),
                    "external_id": external.get(pk),
                    "from_level": current.at[pk, "chs_level"] or None,
                    "to_level": rows.at[pk, "chs_level"] or None,
                    "score": python_value(rows.at[pk, "chs"]),
                    "occurred_at": now,
                }
                for pk in level_changed
            ],
        )
    return int(differs.sum())


def snapshot_write(rows: pd.DataFrame, now) -> None:
    HealthSnapshot.objects.bulk_create(
        (
            HealthSnapshot(
                organization_id=current_organization_id(),
                account_id=pk,
                score=python_value(row.chs),
                level=row.chs_level,
                completeness=python_value(row.chs_completeness) or 0.0,
                stale=bool(row.chs_stale),
                overridden=bool(row.chs_overridden),
                taken_at=now,
            )
            for pk, row in rows.iterrows()
        ),
        batch_size=2000,
    )


def snapshot_daily(*, now=None) -> int:
    """Snapshot every scored account not yet snapshotted today, so trends have daily points."""
    now = now or timezone.now()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    done = HealthSnapshot.objects.filter(taken_at__gte=day_start).values("account_id")
    rows = pd.DataFrame.from_records(
        Account.objects.exclude(pk__in=done).exclude(chs=None).values_list("pk", *FIELDS),
        columns=["account", *FIELDS],
    ).set_index("account")
    snapshot_write(rows, now)
    return len(rows)


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
