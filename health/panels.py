"""What the account page shows of health."""

from datetime import timedelta

import plotly.graph_objects as go
from django.utils import timezone

from core.charts import time_axis

from .forms import ManualValueForm, OverrideForm
from .models import HealthLevel, HealthOverride, HealthSnapshot, Measure
from .provider import account_health_explain


def _delta(snapshots, score, days):
    moment = timezone.now() - timedelta(days=days)
    before = [s for s in snapshots if s.taken_at <= moment and s.score is not None]
    if score is None or not before:
        return None
    return score - before[-1].score


def trend_chart(snapshots, levels) -> str:
    figure = go.Figure()
    for index, level in enumerate(levels):
        top = float(levels[index + 1].lower) if index + 1 < len(levels) else 100
        figure.add_hrect(
            y0=float(level.lower), y1=top, fillcolor=level.colour, opacity=0.08, line_width=0
        )
    figure.add_scatter(
        x=[s.taken_at for s in snapshots],
        y=[s.score for s in snapshots],
        mode="lines+markers",
        name="CHS",
        line={"shape": "hv", "width": 3},
    )
    figure.update_layout(
        title="CHS trend",
        xaxis=time_axis([s.taken_at for s in snapshots]),
        yaxis={"range": [0, 100]},
        height=280,
        margin={"l": 40, "r": 10, "t": 30, "b": 30},
        showlegend=False,
        paper_bgcolor="#fff",
        plot_bgcolor="#fff",
    )
    return figure.to_json()


def health_panel(account, membership) -> dict:
    explanation = account_health_explain(account)
    if explanation is None:
        return {"health": None}
    since = timezone.now() - timedelta(days=365)
    snapshots = list(
        HealthSnapshot.objects.filter(account=account, taken_at__gte=since).order_by("taken_at")
    )
    levels = list(HealthLevel.objects.filter(scorecard__is_active=True))
    manual = Measure.objects.filter(group__scorecard__is_active=True, manual=True)
    return {
        "health": explanation,
        "health_levels": {level.name: level.colour for level in levels},
        "health_delta_30": _delta(snapshots, account.chs, 30),
        "health_delta_90": _delta(snapshots, account.chs, 90),
        "health_overrides": HealthOverride.objects.filter(account=account).select_related(
            "created_by"
        )[:10],
        "value_form": ManualValueForm(measures=manual) if manual.exists() else None,
        "manual_measures": manual,
        "override_form": OverrideForm(),
        "charts": {"chs-trend": trend_chart(snapshots, levels)} if snapshots else {},
    }
