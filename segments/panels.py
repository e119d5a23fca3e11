"""What the account page shows of its place on the grid."""

from .cells import direction
from .models import Grid, TierMigration
from .selectors import account_next_moves, grid_current


def segment_panel(account, membership) -> dict:
    grid = grid_current()
    cells = {cell.key: cell for cell in grid.cells.filter(layout=Grid.View.GRID_3X3)}
    migrations = [
        {
            "migration": m,
            "from": cells.get(m.from_segment),
            "to": cells.get(m.to_segment),
            "direction": direction(m.from_segment, m.to_segment),
        }
        for m in TierMigration.objects.filter(account=account).order_by("-occurred_at", "-id")[:50]
    ]
    return {
        "cell": cells.get(account.segment),
        "migrations": migrations,
        "next_moves": [(move, cells.get(move.cell)) for move in account_next_moves(account)],
    }
