"""What the account list asks of the apps above accounts, registered in their AppConfig.ready.

An account's CSM changing is announced to the apps above:
- csm_changed(moves=[(account_id, old_csm_id, new_csm_id), …]), inside the writing
  transaction, once per write; playbooks hands the accounts' open CSM tasks to the new CSM.

An account being deleted is announced as account_deleting(account=…, tombstone=…), inside
the deleting transaction, before the account goes: what should outlive it moves to its
tombstone (segments: its tier migrations stay in the feed, marked deleted).

The export asks export_facts(account_ids=[…]) → {column: {account_id: value}}, the same
columns for any ids (an empty list gives the columns): maturity adds the last assessment's date.

The timeline asks timeline_entries(account=…, kinds={…}, limit=n) → [accounts.timeline.Entry]:
each app returns its latest `limit` entries of the kinds asked that are its own.

The account list's bulk menu asks bulk_actions(membership=…) → [accounts.bulk.BulkAction]:
what else that member may do to many accounts at once (playbooks: start a playbook on each).

Every CSV import describes itself for the shared mapping step: import_mappings() →
accounts.mapping.ImportMapping, one from each app that owns an import.

The grid is segments': it answers
- cell_names(layout=…) → {key: name} of the tenant's cells of that layout, in the grid's order;
- quadrant_cells(quadrant=…) → the 3×3 cell keys inside a 2×2 cell.
"""

from core.hooks import Hook

cell_names = Hook("cell_names", required=True)
quadrant_cells = Hook("quadrant_cells", required=True)
csm_changed = Hook("csm_changed")
account_deleting = Hook("account_deleting")
export_facts = Hook("export_facts")
timeline_entries = Hook("timeline_entries")
bulk_actions = Hook("bulk_actions")
import_mappings = Hook("import_mappings", required=True)
