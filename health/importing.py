"""Metric values from a CSV, checked by the same rules as the API. Nothing written here."""

import contextlib

import pandas as pd

from accounts.importing import FileError, csv_frame

COLUMNS = ("external_id", "metric", "value", "observed_at")


def read_metrics_csv(raw: bytes | str) -> pd.DataFrame:
    frame = csv_frame(raw)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise FileError(f"Missing required column(s): {', '.join(missing)}.")
    unknown = [c for c in frame.columns if c not in COLUMNS]
    if unknown:
        raise FileError(
            f"Unknown column(s): {', '.join(unknown)}. The columns are: {', '.join(COLUMNS)}."
        )
    if frame.empty:
        raise FileError("The file has a header but no values.")
    frame.index = frame.index + 2
    return frame.apply(lambda column: column.str.strip())


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
