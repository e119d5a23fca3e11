"""health's entries on the account timeline: CHS changes, each with why it changed, and
overrides.

Why it changed: the account's breakdown (provider.account_health_explain, the production
scoring) at the snapshot before the change and at the change, with today's scorecard; the
measures whose value or points moved, by how much they moved the score, largest first. No
second formula.
"""

from itertools import pairwise

from accounts.timeline import Entry

from . import scoring
from .models import HealthOverride, HealthSnapshot
from .provider import account_health_explain

WHY_SHOWN = 3  # the inputs named per change


def _value(driver: dict) -> str:
    if driver["status"] == scoring.MISSING:
        return "missing"
    raw = driver["raw"]
    return f"{raw:g}" if isinstance(raw, float) else str(raw)


def why(account, before, after) -> list[tuple[str, str, str, float]]:
    """[(measure, value before, value after, points of CHS it moved)] between two moments."""
    old = account_health_explain(account, now=before)
    new = account_health_explain(account, now=after)
    if old is None or new is None:
        return []
    earlier = {d["measure"]: d for d in old.drivers}
    moved = []
    for driver in new.drivers:
        previous = earlier.get(driver["measure"])
        if previous is None:
            continue
        change = driver["contribution"] - previous["contribution"]
        if abs(change) >= 0.05 or previous["raw"] != driver["raw"]:
            moved.append((driver["name"], _value(previous), _value(driver), round(change, 1)))
    moved.sort(key=lambda item: -abs(item[3]))
    return moved[:WHY_SHOWN]


def entries(*, account, kinds: set[str], limit: int) -> list[Entry]:
    found: list[Entry] = []
    if "chs" in kinds:
        snapshots = list(
            HealthSnapshot.objects.filter(account=account).order_by("-taken_at", "-id")[: limit * 4]
        )
        changes = [
            (older, newer)
            for newer, older in pairwise(snapshots)
            if newer.score is not None
            and older.score is not None
            and round(newer.score) != round(older.score)
            and not (newer.overridden or older.overridden)
        ][:limit]
        for older, newer in changes:
            moved = why(account, older.taken_at, newer.taken_at)
            found.append(
                Entry(
                    at=newer.taken_at,
                    kind="chs",
                    title=f"CHS {older.score:.0f} → {newer.score:.0f}"
                    + (f" ({newer.level})" if newer.level != older.level else ""),
                    detail=", ".join(
                        f"{name} {was} → {now} ({points:+.1f})" for name, was, now, points in moved
                    ),
                    changes=moved,
                )
            )
    if "override" in kinds:
        overrides = (
            HealthOverride.objects.filter(account=account)
            .select_related("created_by")
            .order_by("-created_at")[:limit]
        )
        for o in overrides:
            found.append(
                Entry(
                    at=o.created_at,
                    kind="override",
                    title=f"CHS overridden to {o.score:.0f} until {o.expires_at:%Y-%m-%d}",
                    detail=o.reason,
                    actor=str(o.created_by) if o.created_by else "API",
                )
            )
    return found
