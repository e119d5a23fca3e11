"""What the apps above segments do when accounts move cell."""

from core.hooks import Hook

# Called in the recompute's transaction, with the account rows still locked, when accounts
# moved: account_ids, occurred_at and txid select the migrations just written.
cells_changed = Hook("cells_changed")
