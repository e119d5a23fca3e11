"""segments' entries on the account timeline: the account's moves between cells."""

from accounts.timeline import Entry

from .cells import direction
from .models import TierMigration
from .selectors import cell_names


def entries(*, account, kinds: set[str], limit: int) -> list[Entry]:
    if "cell" not in kinds:
        return []
    names = cell_names(layout="3x3")
    moves = TierMigration.objects.filter(account=account).order_by("-occurred_at", "-id")[:limit]
    return [
        Entry(
            at=m.occurred_at,
            kind="cell",
            title=(
                f"Placed in {names.get(m.to_segment, m.to_segment)}"
                if not m.from_segment
                else f"Moved {direction(m.from_segment, m.to_segment)}: "
                f"{names.get(m.from_segment, m.from_segment)} → "
                f"{names.get(m.to_segment, m.to_segment) or 'unsegmented'}"
            ),
            detail=f"after {m.cause}" if m.cause else "",
        )
        for m in moves
    ]
