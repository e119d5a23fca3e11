"""Feeds in commit order per tenant (the tier migrations feed, the account changes feed),
without waiting on anyone else's transactions.

A writer (`position_take`, in its transaction; for accounts, the trigger of accounts'
migration 0025, which does the same in SQL) first takes a shared advisory lock naming its
tenant, then a position from one sequence, then a shared advisory lock naming that position;
both are held until it commits or rolls back. Its rows carry the position (a tier migration's
`txid` column, which before held the writer's transaction id; an account's
`change_position`).

A reader (`horizon`) serves only positions below the smallest one a writer of its tenant
still holds. Every position at or below the sequence's last value was taken by a writer that
held the tenant lock first, so once no writer of the tenant holds it, all those positions
are final (committed, or rolled back and gone), and a new snapshot sees them. A writer
caught between taking a position and locking it (microseconds) makes the reader serve
nothing new this once. Before, the feed served only transactions older than the oldest one
running anywhere on the server: a 25 s transaction in another database delayed every
tenant's new migrations by as long.
"""

import base64
import binascii

from django.db import connection
from django.db.models import Q, QuerySet

from .context import current_organization_id

SEQUENCE = "segments_feed_position"  # created by segments' migration 0013, kept by name
TENANT_LOCKS = 0x5E6F  # advisory lock namespaces (the first key of the two-key form)
POSITION_LOCKS = 0x5E70


def position_take() -> int:
    """The position of the migrations the current transaction writes; 0 off PostgreSQL."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(%s, hashtext(%s))",
            [TENANT_LOCKS, str(current_organization_id())],
        )
        cursor.execute(f"SELECT nextval('{SEQUENCE}')")
        position = cursor.fetchone()[0]
        # The two-key form takes int4 keys: positions wrap their lock key after 2**31, which
        # only ever makes a reader more careful (a shared key), never less.
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(%s, (%s %% 2147483647)::int)",
            [POSITION_LOCKS, position],
        )
    return position


HORIZON = f"""
WITH writers AS (
    SELECT pid FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND objsubid = 2
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND classid::bigint = %(tenant_ns)s
      AND objid::bigint = (hashtext(%(tenant)s)::bigint & 4294967295)
), held AS (
    SELECT w.pid, min(l.objid::bigint) AS position
    FROM writers w
    LEFT JOIN pg_locks l ON l.pid = w.pid AND l.locktype = 'advisory' AND l.granted
        AND l.objsubid = 2 AND l.classid::bigint = %(position_ns)s
    GROUP BY w.pid
)
SELECT
    (SELECT last_value FROM {SEQUENCE}),
    (SELECT count(*) FROM held WHERE position IS NULL),
    (SELECT min(position) FROM held)
"""


def horizon() -> int | None:
    """Positions below this are final for the active tenant; None off PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            HORIZON,
            {
                "tenant_ns": TENANT_LOCKS,
                "position_ns": POSITION_LOCKS,
                "tenant": str(current_organization_id()),
            },
        )
        last, unplaced, lowest_held = cursor.fetchone()
    if unplaced:
        return 0  # a writer between its position and that position's lock: nothing new now
    return lowest_held if lowest_held is not None else last + 1


def encode_cursor(position: int, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{position}:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """Raises ValueError on anything that is not a cursor this API gave out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        position, pk = (int(part) for part in raw.split(":"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ValueError("Not a cursor from this feed.") from error
    if position < 0 or pk < 0:
        raise ValueError("Not a cursor from this feed.")
    return position, pk


def page_after(rows: QuerySet, field: str, *, after: tuple[int, int], limit: int):
    """The rows after the cursor `after` in (`field`, id) order, only below the horizon: the
    page, the cursor to pass next, and whether another page is ready now."""
    position, pk = after
    rows = rows.filter(Q(**{f"{field}__gt": position}) | Q(**{field: position, "id__gt": pk}))
    limit_below = horizon()
    if limit_below is not None:
        rows = rows.filter(**{f"{field}__lt": limit_below})
    page = list(rows.order_by(field, "id")[:limit])
    last = (getattr(page[-1], field), page[-1].pk) if page else after
    return page, encode_cursor(*last), len(page) == limit
