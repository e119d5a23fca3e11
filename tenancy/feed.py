"""The migrations feed's positions: in commit order per tenant, without waiting on anyone
else's transactions.

A writer of tier migrations (`position_take`, in its transaction) first takes a shared
advisory lock naming its tenant, then a position from one sequence, then a shared advisory
lock naming that position; both are held until it commits or rolls back. Its migrations carry
the position (the `txid` column, which before held the writer's transaction id).

A reader (`horizon`) serves only positions below the smallest one a writer of its tenant
still holds. Every position at or below the sequence's last value was taken by a writer that
held the tenant lock first, so once no writer of the tenant holds it, all those positions
are final (committed, or rolled back and gone), and a new snapshot sees them. A writer
caught between taking a position and locking it (microseconds) makes the reader serve
nothing new this once. Before, the feed served only transactions older than the oldest one
running anywhere on the server: a 25 s transaction in another database delayed every
tenant's new migrations by as long.
"""

from django.db import connection

from tenancy.context import current_organization_id

SEQUENCE = "segments_feed_position"
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
