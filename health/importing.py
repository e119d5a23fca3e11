"""Metric values from a CSV, checked by the same rules as the API. Nothing written here."""

import contextlib

import pandas as pd

from accounts.importing import columns_frame

COLUMNS = ("external_id", "metric", "value", "observed_at")


def read_metrics_csv(raw: bytes | str) -> pd.DataFrame:
    return columns_frame(raw, required=COLUMNS, rows="values")


def items_of(frame: pd.DataFrame) -> list[dict]:
    """Rows as API-shaped items; numbers stay strings until the measure's rule decides."""
    items = []
    for row in frame.to_dict("records"):
        value = row["value"]
        with contextlib.suppress(ValueError):
            value = float(value)
        items.append(
            {
                "external_id": row["external_id"] or None,
                "metric": row["metric"],
                "value": value if value != "" else None,
                "observed_at": row["observed_at"] or None,
            }
        )
    return items
