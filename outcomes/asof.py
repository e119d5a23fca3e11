"""Each outcome's scores as its account stood `horizon` days before it: the backtest's input.

For an outcome on day D, t0 is the end of day D − horizon. The inputs are the latest value of
each metric observed by t0 (its staleness measured at t0) and the latest assessment submitted
by t0. Nothing later is read: the reads stop at t0, and `merge_asof` picks, per outcome, the
last row at or before its own t0. Scoring is production's: `health.scoring.score_frame` and
`maturity.scoring.score_frame`, with today's scorecard and framework (or a candidate's).
Overrides are not read: the backtest judges the model, not the team's corrections.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from accounts.models import Account
from core.frames import frame_read, ids_in
from health import scoring as chs_scoring
from health.models import MetricValue
from health.selectors import card_of, scorecard_active
from maturity import scoring as cmi_scoring
from maturity.models import Answer, Assessment
from maturity.selectors import framework_primary, framework_structure
from segments.cells import segment_of

from .models import Outcome

COLUMNS = [
    "outcome", "account", "name", "kind", "occurred_on", "t0", "arr_before", "arr_after",
    "chs", "chs_level", "cmi", "cmi_tier", "cell", "churned",
]  # fmt: skip


@dataclass(frozen=True)
class Model:
    """What the as-of scores are computed with: today's, or a candidate's weights."""

    card: chs_scoring.Card | None
    structure: cmi_scoring.Structure | None
    framework_id: int | None


def model_current() -> Model:
    scorecard = scorecard_active()
    framework = framework_primary()
    return Model(
        card=card_of(scorecard) if scorecard else None,
        structure=framework_structure(framework.current) if framework else None,
        framework_id=framework.pk if framework else None,
    )


def outcomes_frame(since: date | None = None, until: date | None = None) -> pd.DataFrame:
    rows = Outcome.objects.all()
    if since:
        rows = rows.filter(occurred_on__gte=since)
    if until:
        rows = rows.filter(occurred_on__lte=until)
    frame = pd.DataFrame.from_records(
        list(
            rows.order_by("occurred_on", "id").values_list(
                "id", "account_id", "kind", "occurred_on", "arr_before", "arr_after"
            )
        ),
        columns=["outcome", "account", "kind", "occurred_on", "arr_before", "arr_after"],
    )
    frame["arr_before"] = frame["arr_before"].astype(float)
    frame["arr_after"] = frame["arr_after"].astype(float)
    return frame


def _t0_end(occurred_on: pd.Series, horizon_days: int) -> pd.Series:
    """The last instant of day occurred_on − horizon, in UTC."""
    days = pd.to_datetime(occurred_on) - pd.Timedelta(days=horizon_days - 1)
    return (days.dt.tz_localize("UTC") - pd.Timedelta(microseconds=1)).astype("datetime64[us, UTC]")


def _latest_by(
    outcomes: pd.DataFrame, rows: pd.DataFrame, by: list[str], moment: str
) -> pd.DataFrame:
    """For each outcome (and each `by` group), the last row of `rows` at or before its t0."""
    if rows.empty or outcomes.empty:
        return rows.iloc[0:0].assign(outcome=pd.Series(dtype="int64"))
    left = outcomes[["outcome", "account", "t0"]].sort_values("t0")
    right = rows.sort_values([moment], kind="stable")  # ties keep their order: the later id last
    right[moment] = right[moment].astype("datetime64[us, UTC]")
    if len(by) > 1:  # one merge per metric: merge_asof matches on one key set at a time
        parts = [
            pd.merge_asof(
                left, group, left_on="t0", right_on=moment, by="account", direction="backward"
            ).assign(**{by[1]: key})
            for key, group in right.groupby(by[1], sort=False, observed=True)
        ]
        merged = pd.concat(parts, ignore_index=True) if parts else left.iloc[0:0]
    else:
        merged = pd.merge_asof(
            left, right, left_on="t0", right_on=moment, by="account", direction="backward"
        )
    return merged[merged[moment].notna()]


def asof_frame(
    horizon_days: int,
    *,
    since: date | None = None,
    until: date | None = None,
    model: Model | None = None,
    progress: Callable[[float], None] = lambda share: None,
) -> pd.DataFrame:
    """One row per outcome (COLUMNS, then "pillar:<key>" per pillar and "measure:<key>" per
    measure): its as-of CHS, level, CMI, tier, cell, pillar scores and measure points. A
    score the account had no inputs for at t0 is NaN, its level, tier or cell ''."""
    model = model or model_current()
    outcomes = outcomes_frame(since, until)
    outcomes["t0"] = _t0_end(outcomes["occurred_on"], horizon_days)
    ids = sorted(set(outcomes["account"].tolist()))
    names = dict(Account.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    outcomes["name"] = outcomes["account"].map(names).fillna("")
    outcomes["churned"] = (outcomes["kind"] == Outcome.Kind.CHURNED).astype(int)
    latest_moment = outcomes["t0"].max() if len(outcomes) else None
    progress(0.1)

    chs = pd.Series(np.nan, index=outcomes["outcome"], dtype=float)
    level = pd.Series("", index=outcomes["outcome"], dtype=object)
    measure_keys = [m.key for m in model.card.measures] if model.card else []
    measure_points = pd.DataFrame(np.nan, index=outcomes["outcome"], columns=measure_keys)
    if model.card is not None and ids and model.card.measures:
        metrics = sorted({m.metric for m in model.card.measures})
        values = frame_read(
            MetricValue.objects.filter(
                ids_in(MetricValue, "account_id", ids),
                metric__in=metrics,
                observed_at__lte=latest_moment,
            )
            .order_by()
            .values_list("account_id", "metric", "number", "text", "observed_at", "id"),
            columns=["account", "metric", "number", "text", "observed_at", "id"],
            dtypes={"account": "int64", "number": "float64", "id": "int64"},
            text=["metric", "text"],
            datetimes=["observed_at"],
        ).sort_values(["observed_at", "id"])  # ties: the later row wins, as in production
        progress(0.4)
        latest = _latest_by(outcomes, values, ["account", "metric"], "observed_at")
        latest = latest.assign(account=latest["outcome"])  # the subject scored is the outcome
        for t0, group in outcomes.groupby("t0", sort=False):
            subjects = group["outcome"].tolist()
            rows = latest[latest["outcome"].isin(subjects)]
            summary, detail = chs_scoring.score_frame(
                rows, model.card, accounts=subjects, as_of=pd.Timestamp(t0)
            )
            chs.loc[subjects] = summary["score"].to_numpy()
            level.loc[subjects] = summary["level"].to_numpy()
            by_measure = detail["points"].unstack("measure") if detail is not None else None
            if by_measure is not None and len(by_measure):
                measure_points.loc[subjects, measure_keys] = by_measure.reindex(
                    index=subjects, columns=measure_keys
                ).to_numpy()
    progress(0.7)

    cmi = pd.Series(np.nan, index=outcomes["outcome"], dtype=float)
    tier = pd.Series("", index=outcomes["outcome"], dtype=object)
    pillar_keys = list(model.structure.weights) if model.structure else []
    pillars = pd.DataFrame(np.nan, index=outcomes["outcome"], columns=pillar_keys)
    if model.structure is not None and model.framework_id is not None and ids:
        assessments = frame_read(
            Assessment.objects.filter(
                ids_in(Assessment, "account_id", ids),
                status=Assessment.Status.SUBMITTED,
                version__framework_id=model.framework_id,
                submitted_at__lte=latest_moment,
            )
            .order_by()
            .values_list("id", "account_id", "submitted_at"),
            columns=["assessment", "account", "submitted_at"],
            dtypes={"assessment": "int64", "account": "int64"},
            datetimes=["submitted_at"],
        ).sort_values(["submitted_at", "assessment"])
        chosen = _latest_by(outcomes, assessments, ["account"], "submitted_at")
        if len(chosen):
            answers = frame_read(
                Answer.objects.filter(
                    ids_in(Answer, "assessment_id", sorted(set(chosen["assessment"].tolist())))
                )
                .order_by()
                .values_list("assessment_id", "factor_key", "score"),
                columns=["assessment", "factor", "score"],
                dtypes={"assessment": "int64", "score": "float64"},
                text=["factor"],
            )
            subject = answers.merge(chosen[["assessment", "outcome"]], on="assessment")
            subject = subject.rename(columns={"outcome": "subject"})[["subject", "factor", "score"]]
            scored = cmi_scoring.score_frame(subject, model.structure)
            cmi.loc[scored.index] = scored["cmi"].to_numpy()
            pillars.loc[scored.index, pillar_keys] = scored[pillar_keys].to_numpy()
            tier.loc[scored.index] = cmi_scoring.tier_of(
                scored["cmi"], model.structure.tiers
            ).to_numpy()
    progress(0.9)

    outcomes = outcomes.set_index("outcome", drop=False)
    outcomes["chs"], outcomes["chs_level"] = chs, level
    outcomes["cmi"], outcomes["cmi_tier"] = cmi, tier
    levels = [name for name, _ in model.card.levels] if model.card else []
    tiers = [name for name, _ in model.structure.tiers] if model.structure else []
    outcomes["cell"] = segment_of(outcomes["chs_level"], outcomes["cmi_tier"], levels, tiers)
    outcomes["t0"] = (
        pd.to_datetime(outcomes["occurred_on"]) - timedelta(days=horizon_days)
    ).dt.date
    for key in pillar_keys:  # what the calibration refits the pillar weights on
        outcomes[f"pillar:{key}"] = pillars[key]
    for key in measure_keys:  # and the scorecard's measure weights
        outcomes[f"measure:{key}"] = measure_points[key]
    extra = [f"pillar:{key}" for key in pillar_keys] + [f"measure:{key}" for key in measure_keys]
    return outcomes.reset_index(drop=True)[COLUMNS + extra]
