"""The outcome chart: share of accounts that improved, with a run and without one."""

import plotly.graph_objects as go

from core.charts import ACCENT, LAYOUT, NEUTRAL

from .outcomes import Outcomes

LABELS = {"any": "Any", "cmi": "CMI rose", "chs": "CHS rose", "segment": "Cell improved"}


def outcome_bars(outcomes: Outcomes) -> str:
    figure = go.Figure()
    for name, group, colour in (
        ("With a run", outcomes.runs, ACCENT),
        ("Comparable, no run", outcomes.comparable, NEUTRAL),
    ):
        figure.add_bar(
            x=list(LABELS.values()),
            y=[(group.share(m) or 0) * 100 for m in LABELS],
            name=f"{name} (n={group.count})",
            marker_color=colour,
        )
    figure.update_layout(
        title=f"Improved within {outcomes.window_days} days (%)",
        yaxis={"range": [0, 100], "ticksuffix": "%"},
        barmode="group",
        **LAYOUT,
    )
    return figure.to_json()
