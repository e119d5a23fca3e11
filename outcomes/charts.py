"""The Score Lab's verdict and plotly figures, from a report's figures (outcomes.backtest)."""

from typing import Any

import plotly.graph_objects as go

from core.charts import ACCENT, INK, LAYOUT, NEUTRAL
from segments.cells import POSITION

BANDS = ("Low", "Medium", "High")


def _auc(value: dict | None) -> str:
    if not value or value.get("value") is None:
        return "no AUC (one class only)"
    return f"AUC {value['value']:.2f} ({value['low']:.2f}–{value['high']:.2f}, n={value['n']})"


def verdict(figures: dict[str, Any]) -> str:
    """The one sentence a manager reads first."""
    n, churned = figures["outcomes"], figures["churned"]
    if not figures.get("enough_data"):
        minimum = figures["minimum"]
        return (
            f"Not enough data: {n} renewal outcome{'s' if n != 1 else ''} with {churned} "
            f"churn{'s' if churned != 1 else ''}; the backtest needs at least "
            f"{minimum['outcomes']} outcomes and {minimum['churned']} churns."
        )
    auc = figures["auc"]
    chs, both, same = auc["chs"], auc["chs_cmi"], auc["chs_same_rows"]
    sentence = f"On {n} renewals ({churned} churned), CHS alone ranks churners at {_auc(chs)}"
    if both.get("value") is None or same.get("value") is None:
        return sentence + "; CHS and CMI together could not be judged out of sample yet."
    gain = both["value"] - same["value"]
    alone = f"CHS alone on the same renewals ({same['value']:.2f})"
    if both["low"] > same["value"]:
        change = f"adding CMI raises it to {_auc(both)}"
    elif gain > 0:
        change = f"adding CMI gives {_auc(both)}, not clearly better than {alone}"
    else:
        change = f"adding CMI gives {_auc(both)}: no gain over {alone}"
    return f"{sentence}; {change}."


def _layout(**extra: Any) -> dict[str, Any]:
    return {**LAYOUT, **extra}


def roc(figures: dict[str, Any]) -> str:
    figure = go.Figure()
    figure.add_scatter(
        x=[0, 1], y=[0, 1], mode="lines", name="No signal", line={"color": NEUTRAL, "dash": "dot"}
    )
    names = {"chs": "CHS", "cmi": "CMI", "chs_cmi": "CHS + CMI (out of sample)"}
    colours = {"chs": ACCENT, "cmi": "#8a5a00", "chs_cmi": INK}
    for key, name in names.items():
        points, auc = figures["roc"][key], figures["auc"][key]
        if not points["fpr"]:
            continue
        label = f"{name}: {auc['value']:.2f}" if auc.get("value") is not None else name
        figure.add_scatter(
            x=points["fpr"], y=points["tpr"], mode="lines", name=label, line={"color": colours[key]}
        )
    figure.update_layout(
        **_layout(
            title={"text": "ROC: churners found against false alarms"},
            xaxis={"title": {"text": "False positive rate"}, "range": [0, 1]},
            yaxis={"title": {"text": "True positive rate"}, "range": [0, 1]},
        )
    )
    return figure.to_json()


def churn_grid(figures: dict[str, Any]) -> str:
    z = [[None] * 3 for _ in range(3)]
    text = [[""] * 3 for _ in range(3)]
    for cell in figures["cells"]:
        if cell["cell"] not in POSITION:
            continue
        row, column = POSITION[cell["cell"]]
        if cell["outcomes"]:
            z[row][column] = round(cell["churn_rate"] * 100, 1)
            text[row][column] = (
                f"{cell['name']}<br>{cell['churn_rate']:.0%} of {cell['outcomes']}"
                f"<br>({cell['low']:.0%}–{cell['high']:.0%})"
            )
        else:
            text[row][column] = f"{cell['name']}<br>no outcomes"
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"{b} CMI" for b in BANDS],
            y=[f"{b} CHS" for b in BANDS],
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{text}<extra></extra>",
            colorscale=[[0, "#e8f1fb"], [1, "#b3261e"]],
            colorbar={"title": {"text": "Churn %"}},
            zmin=0,
        )
    )
    figure.update_layout(**_layout(title={"text": "Churn rate by cell (as of t0)"}))
    return figure.to_json()


def lift(figures: dict[str, Any]) -> str:
    rows = figures["lift"]
    figure = go.Figure()
    figure.add_bar(
        x=[f"D{r['decile']}" for r in rows],
        y=[r["lift"] for r in rows],
        marker={"color": ACCENT},
        customdata=[[r["outcomes"], r["churned"], r["chs_from"], r["chs_to"]] for r in rows],
        hovertemplate="CHS %{customdata[2]:.0f}–%{customdata[3]:.0f}: %{customdata[1]} of "
        "%{customdata[0]} churned<br>lift %{y:.2f}<extra></extra>",
    )
    figure.add_hline(y=1, line={"color": INK, "dash": "dot"})
    figure.update_layout(
        **_layout(
            title={"text": "Lift by CHS decile (D1: lowest CHS)"},
            xaxis={"title": {"text": "CHS decile"}},
            yaxis={"title": {"text": "Churn rate ÷ base rate"}},
        )
    )
    return figure.to_json()


def calibration(figures: dict[str, Any]) -> str:
    rows = figures["calibration"]
    figure = go.Figure()
    figure.add_scatter(
        x=[0, 1], y=[0, 1], mode="lines", name="Perfect", line={"color": NEUTRAL, "dash": "dot"}
    )
    figure.add_scatter(
        x=[r["predicted"] for r in rows],
        y=[r["observed"] for r in rows],
        mode="lines+markers",
        name="CHS + CMI model",
        line={"color": INK},
        customdata=[r["n"] for r in rows],
        hovertemplate="predicted %{x:.0%}, observed %{y:.0%} (n=%{customdata})<extra></extra>",
    )
    top = max([0.05] + [max(r["predicted"], r["observed"]) for r in rows]) * 1.1
    figure.update_layout(
        **_layout(
            title={"text": "Calibration: predicted against observed churn"},
            xaxis={"title": {"text": "Predicted churn probability"}, "range": [0, top]},
            yaxis={"title": {"text": "Observed churn rate"}, "range": [0, top]},
        )
    )
    return figure.to_json()


def lab_charts(figures: dict[str, Any]) -> dict[str, str]:
    charts = {"roc-chart": roc(figures), "cell-chart": churn_grid(figures)}
    if figures["lift"]:
        charts["lift-chart"] = lift(figures)
    if figures["calibration"]:
        charts["calibration-chart"] = calibration(figures)
    return charts
