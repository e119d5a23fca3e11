"""The backtest report: computed when missing or out of date, kept until its inputs change.

A report is keyed by its horizon, its period and the fingerprint of everything it reads.
A small tenant's is computed in the request; a larger one's in a Celery task, while the API
answers 202 and the page shows the task's progress.
"""

import hashlib
import logging
from datetime import date, timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from accounts.models import Account, LifecycleStage
from core.frames import frame_read
from core.queue import task_send_on_commit
from health.models import MetricValue
from health.scoring import Card
from health.selectors import scorecard_active
from maturity.models import Assessment
from maturity.selectors import framework_primary
from segments.selectors import cell_names
from tenancy.context import current_organization_id
from tenancy.models import User

from . import backtest, calibration, forecast
from .asof import Model, asof_frame, model_current
from .models import BacktestReport, Outcome

HORIZON_DEFAULT = 90
# Up to this many outcomes the report is computed in the request (~1 s); more, in a task.
IN_REQUEST_OUTCOMES = 3000
# A report still running after this long lost its task (a broker outage, a killed worker).
RUNNING_GIVE_UP = timedelta(minutes=15)

logger = logging.getLogger(__name__)


def inputs_fingerprint() -> str:
    """Everything the backtest reads, in one short string: any new, deleted or submitted row,
    or an edit of the scorecard or framework, changes it."""
    parts = []
    for rows in (
        Outcome.objects.all(),
        MetricValue.objects.all(),
        Assessment.objects.filter(status=Assessment.Status.SUBMITTED),
    ):
        counted = rows.order_by().aggregate(n=Count("id"), last=Max("id"))
        parts.append(f"{counted['n']}:{counted['last']}")
    scorecard, framework = scorecard_active(), framework_primary()
    parts.append(f"{scorecard.pk}@{scorecard.updated_at.isoformat()}" if scorecard else "-")
    if framework:
        current = framework.current
        parts.append(f"{current.pk}@{current.edited_at.isoformat() if current.edited_at else ''}")
    else:
        parts.append("-")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def progress_key(report_id: int) -> str:
    return f"outcomes:backtest:{report_id}:progress"


def report_progress(report: BacktestReport) -> float:
    if report.status != BacktestReport.Status.RUNNING:
        return 1.0
    return float(cache.get(progress_key(report.pk)) or 0.0)


def backtest_report(
    *, horizon_days: int = HORIZON_DEFAULT, since: date | None = None, until: date | None = None
) -> BacktestReport:
    """The report for this horizon and period: ready, or running (computed in a task)."""
    inputs = inputs_fingerprint()
    period = f"{since.isoformat() if since else ''}..{until.isoformat() if until else ''}"
    key = {"horizon_days": horizon_days, "period": period}
    report = BacktestReport.objects.filter(**key, inputs=inputs).first()
    if report is not None:
        stuck = (
            report.status == BacktestReport.Status.RUNNING
            and report.started_at < timezone.now() - RUNNING_GIVE_UP
        )
        if report.status == BacktestReport.Status.READY or (
            report.status == BacktestReport.Status.RUNNING and not stuck
        ):
            return report
        report.delete()  # failed or lost: start again
    BacktestReport.objects.filter(**key).delete()  # out of date
    try:
        with transaction.atomic():
            report = BacktestReport.objects.create(
                organization_id=current_organization_id(),
                **key,
                since=since,
                until=until,
                inputs=inputs,
            )
    except IntegrityError:  # another request started it a moment ago
        return BacktestReport.objects.get(**key, inputs=inputs)
    outcomes = Outcome.objects.filter(
        **({"occurred_on__gte": since} if since else {}),
        **({"occurred_on__lte": until} if until else {}),
    ).count()
    if outcomes <= IN_REQUEST_OUTCOMES:
        return report_compute(report=report)
    task_send_on_commit("outcomes.tasks.backtest_compute", str(report.organization_id), report.pk)
    return report


def report_compute(*, report: BacktestReport) -> BacktestReport:
    """Compute the figures of `report` and store them (or the reason it failed)."""

    def progress(share: float) -> None:
        cache.set(progress_key(report.pk), share, timeout=3600)

    try:
        model = model_current()
        table = asof_frame(
            report.horizon_days,
            since=report.since,
            until=report.until,
            model=model,
            progress=progress,
        )
        report.figures = figures_of(table, report.horizon_days, model)
        report.status = BacktestReport.Status.READY
    except Exception as error:  # the report says why; the next request tries again
        logger.exception("backtest %s failed", report.pk)
        report.status = BacktestReport.Status.FAILED
        report.error = f"{type(error).__name__}: {error}"[:500]
    report.finished_at = timezone.now()
    report.save()
    return report


def figures_of(table, horizon_days: int, model: Model) -> dict:
    levels = [name for name, _ in model.card.levels] if model.card else []
    names = cell_names(layout="3x3")
    return backtest.figures(table, horizon_days=horizon_days, levels=levels, cells=names)


def calibration_framework(*, horizon_days: int = HORIZON_DEFAULT) -> dict:
    """The calibrated proposal for the primary framework's pillar weights, kept (in the cache)
    until an input changes: the fingerprint is the backtest's."""

    def compute():
        model = model_current()
        current = dict(model.structure.weights) if model.structure else {}
        table = asof_frame(horizon_days, model=model)
        return {"horizon_days": horizon_days} | calibration.framework_calibration(table, current)

    return _cached("calibration", horizon_days, compute)


def calibration_scorecard(*, horizon_days: int = HORIZON_DEFAULT) -> dict:
    """The calibrated proposal for the active scorecard's weights, kept like the framework's."""

    def compute():
        model = model_current()
        card = model.card or Card(groups={}, measures=[], levels=[])
        table = asof_frame(horizon_days, model=model)
        return {"horizon_days": horizon_days} | calibration.scorecard_calibration(table, card)

    return _cached("calibration-scorecard", horizon_days, compute)


def pillar_names() -> dict[str, str]:
    framework = framework_primary()
    if framework is None:
        return {}
    return dict(framework.current.pillars.values_list("key", "name"))


def _cached(name: str, horizon_days: int, compute):
    """`compute()` kept in the cache until an input of the backtest changes."""
    key = f"outcomes:{name}:{current_organization_id()}:{horizon_days}:{inputs_fingerprint()}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, timeout=24 * 3600)
    return found


def renewal_forecast(*, horizon_days: int = HORIZON_DEFAULT) -> dict:
    """Expected renewing ARR over the next 90 and 180 days, per cell and per CSM, from the
    model fitted on the outcomes; and that forecast's error when made `horizon_days` before
    past outcomes."""

    def fitted():
        table = asof_frame(horizon_days)
        return {"model": forecast.renewal_model(table), "error": forecast.forecast_error(table)}

    learned = _cached("forecast", horizon_days, fitted)
    accounts = frame_read(
        Account.objects.exclude(lifecycle_stage=LifecycleStage.CHURNED).values_list(
            "pk", "arr", "chs", "cmi", "segment", "owner_csm__email", "renewal_date"
        ),
        columns=["account", "arr", "chs", "cmi", "cell", "csm", "renewal_date"],
        text=["cell", "csm"],
    )
    accounts["arr"] = accounts["arr"].astype(float)
    names = cell_names(layout="3x3")
    people = {
        user.email: str(user) for user in User.objects.filter(email__in=set(accounts["csm"]) - {""})
    }
    periods = forecast.forecast(accounts, learned["model"], timezone.localdate())
    for period in periods:
        for row in period["cells"]:
            row["name"] = names.get(row["key"], "Not placed")
        for row in period["csms"]:
            row["name"] = people.get(row["key"], "No CSM")
    return {
        "horizon_days": horizon_days,
        "enough_data": learned["model"] is not None,
        "periods": periods,
        "backtest": learned["error"],
    }
