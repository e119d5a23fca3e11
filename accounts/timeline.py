"""The account timeline: one chronological feed of what happened to an account.

Each app contributes its own entries through accounts.hooks.timeline_entries (registered in
its AppConfig.ready), so the feed is composed here without accounts importing the apps above
it. The notes and reassignments are accounts' own.
"""

from dataclasses import dataclass, field
from datetime import datetime

from .hooks import timeline_entries
from .models import Account, Note

# Kind → what a person filters by, in the order the filter offers them.
KINDS = {
    "note": "Notes",
    "reassigned": "Reassignments",
    "assessment": "Assessments",
    "survey": "Survey responses",
    "chs": "CHS changes",
    "override": "Overrides",
    "cell": "Cell moves",
    "playbook": "Playbook runs",
    "task": "Tasks done",
    "outcome": "Outcomes",
}
TIMELINE_LIMIT = 50


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    actor: str = ""
    url: str = ""
    # For "why it changed": [(input, before, after, points change)], largest first.
    changes: list[tuple[str, str, str, float]] = field(default_factory=list)


def note_entries(*, account: Account, kinds: set[str], limit: int) -> list[Entry]:
    wanted = [kind for kind in (Note.Kind.NOTE, Note.Kind.REASSIGNED) if kind in kinds]
    notes = Note.objects.filter(account=account, kind__in=wanted).select_related("author")
    return [
        Entry(
            at=note.created_at,
            kind=note.kind,
            title="Note" if note.kind == Note.Kind.NOTE else "CSM reassigned",
            detail=note.body,
            actor=str(note.author) if note.author else "Ascend",
        )
        for note in notes[:limit]
    ]


def account_timeline(
    account: Account, *, kinds: set[str] | None = None, limit: int = TIMELINE_LIMIT
) -> list[Entry]:
    """The account's latest `limit` entries of these kinds (every kind by default), newest
    first."""
    kinds = set(KINDS) if not kinds else kinds & set(KINDS)
    entries = note_entries(account=account, kinds=kinds, limit=limit)
    for found in timeline_entries(account=account, kinds=kinds, limit=limit):
        entries.extend(found)
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
