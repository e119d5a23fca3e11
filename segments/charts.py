"""The quadrant: a scatter of CMI × CHS with the grid drawn at the thresholds.

SVG, not WebGL: plotly's WebGL traces compile their shaders with `Function()`, which the
content security policy (no unsafe-eval) refuses, so a scattergl trace drew no dots at all; at
the sampling limit (selectors.SCATTER_LIMIT) that is 6,000 SVG points at most.
"""

import json
import math

from core.charts import INK

from .cells import quadrant_of


def quadrant_figure(points, stats, chs_lines, cmi_lines, view: str, sampled_from: int | None):
    by_cell = {cell.key: cell for cell in stats}
    top_arr = max((float(p[4] or 0) for p in points), default=1.0) or 1.0
    grouped: dict[str, list] = {cell.key: [] for cell in stats}
    for point in points:
        grouped.setdefault(_cell_for(point[5], view), []).append(point)
    traces = []
    for cell in stats:
        mine = grouped[cell.key]
        arr = [float(p[4] or 0) for p in mine]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{cell.name} ({cell.share:.0%})",
                "meta": cell.key,
                "x": [round(p[2], 3) for p in mine],
                "y": [round(p[3], 2) for p in mine],
                "customdata": [[p[0], p[1], a] for p, a in zip(mine, arr, strict=True)],
                "marker": {
                    "color": cell.colour,
                    "opacity": 0.75,
                    "line": {"width": 0},
                    "size": [round(5 + 22 * math.sqrt(a / top_arr), 1) for a in arr],
                },
                "hovertemplate": "<b>%{customdata[1]}</b><br>CMI %{x:.1f} · CHS %{y:.0f}"
                "<br>ARR %{customdata[2]:,.0f}<extra>" + cell.name + "</extra>",
            }
        )
    if view == "2x2":
        chs_lines, cmi_lines = chs_lines[-1:], cmi_lines[:1]
    xs, ys = [1.0, *cmi_lines, 5.0], [0.0, *chs_lines, 100.0]
    shapes = [
        {
            "type": "line",
            "x0": x,
            "x1": x,
            "y0": 0,
            "y1": 100,
            "line": {"color": INK, "width": 1, "dash": "dot"},
        }
        for x in cmi_lines
    ]
    shapes += [
        {
            "type": "line",
            "x0": 1,
            "x1": 5,
            "y0": y,
            "y1": y,
            "line": {"color": INK, "width": 1, "dash": "dot"},
        }
        for y in chs_lines
    ]
    annotations = []
    for cell in by_cell.values():
        if cell.row < 0 or cell.row + 1 >= len(ys) or cell.column + 1 >= len(xs):
            continue
        annotations.append(
            {
                "x": (xs[cell.column] + xs[cell.column + 1]) / 2,
                "y": ys[cell.row + 1] - 3,
                "yanchor": "top",
                "showarrow": False,
                "text": f"<b>{cell.name}</b> {cell.share:.0%}",
                "font": {"size": 12, "color": INK},
                "bgcolor": "rgba(255,255,255,0.75)",
            }
        )
    title = "Accounts by CMI and CHS"
    if sampled_from:
        title += f" — a random sample of {len(points):,} of {sampled_from:,} accounts"
    layout = {
        "title": {"text": title},
        "height": 560,
        "hovermode": "closest",
        "xaxis": {
            "title": {"text": "Customer Maturity Index (CMI)"},
            "range": [0.9, 5.1],
            "dtick": 1,
        },
        "yaxis": {"title": {"text": "Customer Health Score (CHS)"}, "range": [-2, 102]},
        "shapes": shapes,
        "annotations": annotations,
        "legend": {"orientation": "h", "y": -0.15},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
    }
    return json.dumps({"data": traces, "layout": layout})


def _cell_for(segment: str, view: str) -> str:
    return quadrant_of(segment) if view == "2x2" else segment
