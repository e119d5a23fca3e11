"""Outcomes from a CSV, checked by the same rules as the API. Nothing written here."""

import pandas as pd

from accounts.importing import columns_frame
from accounts.mapping import Field, ImportMapping, money
from accounts.models import ImportJob

REQUIRED = ("external_id", "kind", "occurred_on", "arr_before", "arr_after")


def read_outcomes_csv(raw: bytes | str) -> pd.DataFrame:
    frame = columns_frame(raw, required=REQUIRED, optional=("reason",), rows="outcomes")
    if "reason" not in frame.columns:
        frame["reason"] = ""
    return frame


def items_of(frame: pd.DataFrame) -> list[dict]:
    """Rows as API-shaped items: what outcomes.validation checks."""
    return [
        {
            "external_id": row["external_id"] or None,
            "kind": row["kind"].lower(),
            "occurred_on": row["occurred_on"],
            "arr_before": row["arr_before"],
            "arr_after": row["arr_after"],
            "reason": row["reason"],
        }
        for row in frame.to_dict("records")
    ]


LABELS = {
    "external_id": "CRM id (external_id)",
    "kind": "Kind (renewed, expanded, contracted, churned)",
    "occurred_on": "Date (YYYY-MM-DD)",
    "arr_before": "ARR before",
    "arr_after": "ARR after",
    "reason": "Reason",
}


def _convert(out: pd.DataFrame) -> pd.DataFrame:
    for column in ("arr_before", "arr_after"):
        if column in out:
            out[column] = money(out[column])
    return out


def outcomes_mapping() -> ImportMapping:
    return ImportMapping(
        kind=ImportJob.Kind.OUTCOMES,
        title="renewal outcomes",
        upload_url="outcomes:import",
        fields=lambda: [Field(key, label, key in REQUIRED) for key, label in LABELS.items()],
        read=read_outcomes_csv,
        convert=_convert,
    )
