"""Metric values from a CSV, checked by the same rules as the API. Nothing written here."""

import contextlib

import pandas as pd

from accounts.importing import columns_frame
from accounts.mapping import Field, ImportMapping
from accounts.models import ImportJob

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


LABELS = {
    "external_id": "CRM id (external_id)",
    "metric": "Metric key (e.g. nps)",
    "value": "Value",
    "observed_at": "Observed at (ISO 8601)",
}


def metrics_mapping() -> ImportMapping:
    return ImportMapping(
        kind=ImportJob.Kind.METRICS,
        title="health metrics",
        upload_url="health:metrics_import",
        fields=lambda: [Field(key, LABELS[key], required=True) for key in COLUMNS],
        read=read_metrics_csv,
    )
