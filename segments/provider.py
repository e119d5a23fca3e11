"""The grid cell's step of the recompute (core.derivation.Provider): each account's cell from
its CHS level and CMI tier as they are about to be stored, and a tier migration for each
account that really moves, written once per real change."""

from collections.abc import Mapping

import pandas as pd

from core.chunks import Chunk
from core.derivation import Cause
from core.events import event_emitted
from core.frames import frame_insert, python_value
from tenancy.context import current_organization_id
from tenancy.feed import position_take

from .cells import segment_of
from .hooks import cells_changed
from .models import TierMigration


class Cell:
    key = "cell"
    fields = ("segment",)
    text = ("segment",)
    scores = ("segment",)
    stamp = "segment_updated_at"
    causes = None  # the cell follows the CHS and the CMI, whichever moved

    def prepare(self, earlier: Mapping[str, object]) -> tuple[list[str], list[str]]:
        """The CHS level names and CMI tier names, lowest first."""
        return earlier["chs"].bands, earlier["cmi"].bands  # type: ignore[attr-defined]

    def compute(self, chunk: Chunk, prepared, stored: pd.DataFrame, now) -> pd.DataFrame:
        levels, tiers = prepared
        cells = segment_of(stored["chs_level"], stored["cmi_tier"], levels, tiers)
        return cells.to_frame("segment")

    def changed(self, current: pd.DataFrame, fresh: pd.DataFrame) -> pd.Series:
        return fresh["segment"] != current["segment"]

    def written(self, current: pd.DataFrame, fresh: pd.DataFrame, now, cause: Cause) -> None:
        migrations_write(current, fresh["segment"], cause=cause, now=now)


def migrations_write(current: pd.DataFrame, moved: pd.Series, *, cause: Cause, now) -> int:
    """A TierMigration per account in `moved` (its new cell), then the hooks and the
    `account.migrated` events. `current` has the stored segment and external_id."""
    if moved.empty:
        return 0
    txid = position_take()  # the feed's position (segments.feed), in the column named txid
    frame_insert(
        TierMigration,
        pd.DataFrame(
            {
                "organization": str(current_organization_id()),  # not a UUID per row
                "account": moved.index.astype("int64"),
                "from_segment": current.loc[moved.index, "segment"].to_numpy(),
                "to_segment": moved.to_numpy(),
                "cause": cause.kind.value,
                "cause_id": pd.array([cause.id] * len(moved), dtype="Int64"),
                "occurred_at": now,
                "txid": txid,
            }
        ),
    )
    cells_changed(account_ids=list(moved.index), occurred_at=now, txid=txid)

    def payloads():
        external = current["external_id"]
        return [
            {
                "account": int(pk),
                "external_id": python_value(external.get(pk)),
                "from_segment": current.at[pk, "segment"] or None,
                "to_segment": cell or None,
                "cause": cause.kind.value or None,
                "cause_id": cause.id,
                "occurred_at": now,
            }
            for pk, cell in moved.items()
        ]

    event_emitted(
        organization_id=current_organization_id(), event="account.migrated", payloads=payloads
    )
    return len(moved)
