"""Plotly figures for the account page, as JSON for plotly.js served from static."""

import plotly.graph_objects as go

from core.charts import INK, LAYOUT, time_axis

from .models import Assessment


def cmi_history(history: list[Assessment], pillar_names: dict[str, str]) -> str:
    dates = [a.submitted_at for a in history]
    figure = go.Figure()
    figure.add_scatter(
        x=dates,
        y=[a.cmi for a in history],
        name="CMI",
        mode="lines+markers",
        line={"width": 4, "color": INK},
    )
    for key, name in pillar_names.items():
        figure.add_scatter(
            x=dates,
            y=[a.pillar_scores.get(key) for a in history],
            name=name,
            mode="lines+markers",
            line={"dash": "dot"},
        )
    figure.update_layout(
        title="CMI over time",
        xaxis=time_axis(dates),
        yaxis={"range": [0.8, 5.2], "dtick": 1},
        **LAYOUT,
    )
    return figure.to_json()


def pillar_radar(pillar_names: dict[str, str], csm: dict, customer: dict | None) -> str:
    names = list(pillar_names.values())
    keys = list(pillar_names)
    figure = go.Figure()
    figure.add_scatterpolar(
        r=[csm.get(k) for k in keys] + [csm.get(keys[0])],
        theta=names + names[:1],
        fill="toself",
        name="CSM assessment",
    )
    if customer:
        figure.add_scatterpolar(
            r=[customer.get(k) for k in keys] + [customer.get(keys[0])],
            theta=names + names[:1],
            fill="toself",
            name="Customer's view",
            opacity=0.6,
        )
    # Pillar names stand outside the circle: room for them on both sides, on a phone too.
    layout = {**LAYOUT, "margin": {"l": 70, "r": 70, "t": 50, "b": 40}}
    figure.update_layout(
        title="Latest pillars", polar={"radialaxis": {"range": [0, 5], "dtick": 1}}, **layout
    )
    return figure.to_json()
