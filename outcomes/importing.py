"""Outcomes from a CSV, checked by the same rules as the API. Nothing written here."""

import pandas as pd

from accounts.importing import columns_frame

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
