"""outcomes' entries on the account timeline: what happened at each renewal."""

from datetime import datetime, time

from django.utils import timezone

from accounts.timeline import Entry

from .models import Outcome


def entries(*, account, kinds: set[str], limit: int) -> list[Entry]:
    if "outcome" not in kinds:
        return []
    outcomes = Outcome.objects.filter(account=account).order_by("-occurred_on", "-id")[:limit]
    return [
        Entry(
            at=timezone.make_aware(datetime.combine(o.occurred_on, time.min)),
            kind="outcome",
            title=f"Renewal outcome: {o.get_kind_display()} on {o.occurred_on:%Y-%m-%d}",
            detail=f"ARR {o.arr_before:,.0f} → {o.arr_after:,.0f}"
            + (f". {o.reason}" if o.reason else ""),
            actor=o.get_source_display(),
        )
        for o in outcomes
    ]
