"""Did a playbook help? Its runs against comparable accounts that had none.

For each run started in the period whose window of N days has passed, the account improved
when, N days after the start, its CMI or its CHS was higher than at the start, or its grid cell
was better (higher health and maturity together). "At" a moment means the latest observation
at or before it: submitted assessments of the primary framework, health snapshots, migrations.

Comparable accounts are those in the same cell at the moment a run started that had no run of
this playbook from N days before that moment to N days after it; each is measured over the
same window. Below MIN_SAMPLE in either group, the figures are shown but not compared.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd
from django.utils import timezone

from accounts.models import Account
from health.models import HealthSnapshot
from maturity.models import Assessment
from segments.cells import POSITION
from segments.models import TierMigration

from .models import Playbook, PlaybookRun

MIN_SAMPLE = 5
MEASURES = ("any", "cmi", "chs", "segment")


@dataclass
class Group:
    count: int = 0
    improved: dict = field(default_factory=lambda: dict.fromkeys(MEASURES, 0))

    def share(self, measure: str = "any") -> float | None:
        return self.improved[measure] / self.count if self.count else None


@dataclass
class Outcomes:
    playbook: Playbook
    start: date
    end: date
    window_days: int
    started: int
    completed: int
    superseded: int
    runs: Group
    comparable: Group

    @property
    def comparable_enough(self) -> bool:
        return self.runs.count >= MIN_SAMPLE and self.comparable.count >= MIN_SAMPLE

    @property
    def verdict(self) -> str:
        if self.runs.count < MIN_SAMPLE:
            return (
                f"Too little data to compare: {self.runs.count} run(s) in this period have "
                f"had {self.window_days} days to show an effect; at least {MIN_SAMPLE} are needed."
            )
        if self.comparable.count < MIN_SAMPLE:
            return (
                f"Too little data to compare: only {self.comparable.count} comparable "
                f"account(s) without a run; at least {MIN_SAMPLE} are needed."
            )
        # Both groups have at least MIN_SAMPLE accounts here, so both shares exist.
        ours, theirs = self.runs.share() or 0.0, self.comparable.share() or 0.0
        gap = round((ours - theirs) * 100)
        if gap == 0:
            return "Accounts with a run improved as often as comparable accounts without one."
        return (
            f"Accounts with a run improved {abs(gap)} points {'more' if gap > 0 else 'less'} "
            "often than comparable accounts without one."
        )


def _moment(day: date, end: bool = False) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


def _frame(rows, columns) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame.sort_values("at", kind="stable")


def _asof(probes: pd.DataFrame, observations: pd.DataFrame, value: str, direction="backward"):
    """The observation of each probe's account at (or, forward, after) the probe's moment."""
    ordered = probes.reset_index().sort_values("at", kind="stable")
    merged = pd.merge_asof(
        ordered,
        observations[["account", "at", value]].dropna(subset=["at"]),
        on="at",
        by="account",
        direction=direction,
        allow_exact_matches=direction == "backward",
    )
    return merged.set_index("index")[value].reindex(probes.index)


class History:
    """The observations of a set of accounts, to read their state at any moment."""

    def __init__(self, account_ids):
        ids = list(account_ids)
        self.cmi = _frame(
            Assessment.objects.filter(
                account_id__in=ids,
                status=Assessment.Status.SUBMITTED,
                version__framework__is_primary=True,
                cmi__isnull=False,
            ).values_list("account_id", "submitted_at", "cmi"),
            ["account", "at", "value"],
        )
        self.chs = _frame(
            HealthSnapshot.objects.filter(account_id__in=ids, score__isnull=False).values_list(
                "account_id", "taken_at", "score"
            ),
            ["account", "at", "value"],
        )
        self.moves = _frame(
            TierMigration.objects.filter(account_id__in=ids).values_list(
                "account_id", "occurred_at", "from_segment", "to_segment"
            ),
            ["account", "at", "from_segment", "to_segment"],
        )
        self.current = dict(Account.objects.filter(pk__in=ids).values_list("pk", "segment"))

    def segment_at(self, probes: pd.DataFrame) -> pd.Series:
        before = _asof(probes, self.moves, "to_segment")
        after = _asof(probes, self.moves, "from_segment", direction="forward")
        now = probes["account"].map(self.current)
        return before.fillna(after).fillna(now).fillna("")

    def improved(self, probes: pd.DataFrame, window: timedelta) -> pd.DataFrame:
        """For probes (account, at): which measures rose between `at` and `at + window`."""
        later = probes.assign(at=probes["at"] + window)
        out = pd.DataFrame(index=probes.index)
        for name in ("cmi", "chs"):
            observations = getattr(self, name)
            out[name] = (
                _asof(later, observations, "value") > _asof(probes, observations, "value")
            ).fillna(False)
        rank = {key: row + column for key, (row, column) in POSITION.items()}
        before = self.segment_at(probes).map(rank)
        after = self.segment_at(later).map(rank)
        out["segment"] = (after > before).fillna(False)
        out["any"] = out["cmi"] | out["chs"] | out["segment"]
        return out.astype(bool)


def _group(flags: pd.DataFrame) -> Group:
    return Group(
        count=len(flags), improved={m: int(flags[m].sum()) if len(flags) else 0 for m in MEASURES}
    )


def playbook_outcomes(
    *, playbook: Playbook, start: date, end: date, window_days: int, now=None
) -> Outcomes:
    now = now or timezone.now()
    window = timedelta(days=window_days)
    runs = PlaybookRun.objects.filter(
        playbook=playbook, started_at__gte=_moment(start), started_at__lte=_moment(end, end=True)
    )
    statuses = list(runs.values_list("status", flat=True))
    matured = pd.DataFrame.from_records(
        list(
            runs.filter(started_at__lte=now - window).values_list(
                "account_id", "started_at", "segment"
            )
        ),
        columns=["account", "at", "segment"],
    )
    matured["at"] = pd.to_datetime(matured["at"], utc=True)

    history = History(Account.objects.values_list("pk", flat=True))
    ours = history.improved(matured[["account", "at"]], window) if len(matured) else None

    # Every account × each matured run's start, kept where the account was in the run's cell.
    all_ids = list(history.current)
    starts = matured.drop_duplicates(["at", "segment"])
    probes = pd.DataFrame(
        {
            "account": all_ids * len(starts),
            "at": [at for at in starts["at"] for _ in all_ids],
            "cell": [cell for cell in starts["segment"] for _ in all_ids],
        }
    )
    if len(probes):
        probes["at"] = pd.to_datetime(probes["at"], utc=True)
        probes = probes[history.segment_at(probes[["account", "at"]]) == probes["cell"]]
        every_run = pd.DataFrame.from_records(
            list(
                PlaybookRun.objects.filter(playbook=playbook).values_list(
                    "account_id", "started_at"
                )
            ),
            columns=["account", "started"],
        )
        every_run["started"] = pd.to_datetime(every_run["started"], utc=True)
        joined = probes.reset_index().merge(every_run, on="account", how="left")
        near = (joined["started"] >= joined["at"] - window) & (
            joined["started"] <= joined["at"] + window
        )
        touched = set(joined.loc[near, "index"])
        probes = probes[~probes.index.isin(touched)]
        probes = probes.drop_duplicates(["account", "at"])
    theirs = history.improved(probes[["account", "at"]], window) if len(probes) else None

    empty = pd.DataFrame(columns=list(MEASURES), dtype=bool)
    return Outcomes(
        playbook=playbook,
        start=start,
        end=end,
        window_days=window_days,
        started=len(statuses),
        completed=statuses.count(PlaybookRun.Status.COMPLETED),
        superseded=statuses.count(PlaybookRun.Status.SUPERSEDED),
        runs=_group(ours if ours is not None else empty),
        comparable=_group(theirs if theirs is not None else empty),
    )
