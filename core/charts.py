"""What every plotly figure shares: the layout, the palette's fixed colours, a time axis."""

from datetime import timedelta

INK = "#1d2433"  # text and reference lines
NEUTRAL = "#8892a6"  # a level, tier or series with no colour of its own
UNSCORED = "#c0c4cc"  # accounts not yet on the grid
ACCENT = "#2e6bd9"

LAYOUT = {
    "margin": {"l": 40, "r": 10, "t": 30, "b": 40},
    "height": 320,
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    "legend": {"orientation": "h", "y": -0.2},
}


# A time axis spans at least this many days: plotly zooms a single point, or points minutes
# apart, down to milliseconds ("18:50:35.2545").
MIN_TIME_SPAN_DAYS = 30


def time_axis(moments: list) -> dict:
    """A plotly date x-axis for these moments, labelled by day, and never narrower than
    MIN_TIME_SPAN_DAYS (centred on the points) so ticks stay dates."""
    axis: dict = {"type": "date", "tickformat": "%Y-%m-%d", "hoverformat": "%Y-%m-%d %H:%M"}
    present = [moment for moment in moments if moment is not None]
    if present:
        first, last = min(present), max(present)
        span = timedelta(days=MIN_TIME_SPAN_DAYS)
        if last - first < span:
            middle = first + (last - first) / 2
            axis["range"] = [(middle - span / 2).isoformat(), (middle + span / 2).isoformat()]
    return axis
