"""What every plotly figure shares: the layout and the palette's fixed colours."""

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
