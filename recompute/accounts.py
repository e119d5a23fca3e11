"""The accounts a recompute works on: in chunks, in ranges for its parts, locked and written."""

import pandas as pd
from django.db import connection
from django.db.models import QuerySet

from accounts.models import Account
from core.chunks import IN_LIST_MOST, Chunk
from core.frames import frame_read, frame_update


def account_chunks(
    accounts: QuerySet[Account] | None, size: int, *, between: tuple[int, int] | None = None
) -> list[Chunk]:
    """The accounts (all of the tenant's when None, or those with ids `between` two bounds,
    inclusive) in chunks of `size`, in id order."""
    whole = accounts is None
    source = Account.objects.all() if accounts is None else accounts
    if between is not None:
        source = source.filter(pk__gte=between[0], pk__lte=between[1])
    ids = list(source.order_by("pk").values_list("pk", flat=True))
    size = size if whole else min(size, IN_LIST_MOST)
    return [Chunk(ids[start : start + size], whole=whole) for start in range(0, len(ids), size)]


def account_ranges(size: int) -> list[tuple[int, int]]:
    """The tenant's accounts as ranges of ids (first, last) of `size` accounts each, in order:
    the parts a tenant-wide recompute is split into."""
    ids = Account.objects.order_by("pk").values_list("pk", flat=True)
    if connection.vendor == "postgresql":  # every size-th id, numbered in the database
        sql, params = ids.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT min(id), max(id) FROM (
                        SELECT q.id, (row_number() OVER (ORDER BY q.id) - 1) / %s AS part
                        FROM ({sql}) AS q(id)
                    ) AS numbered GROUP BY part ORDER BY part""",
                [size, *params],
            )
            return [(low, high) for low, high in cursor.fetchall()]
    every = list(ids)
    return [(every[at], every[min(at + size, len(every)) - 1]) for at in range(0, len(every), size)]


def accounts_locked(chunk: Chunk, fields: list[str], text: list[str]) -> pd.DataFrame:
    """Lock the chunk's account rows and return the stored values of `fields`, indexed by
    account id, in one statement.

    The rows are locked in id order, so concurrent recomputes cannot deadlock, and before any
    input is read: a recompute that started earlier can then never overwrite a later one.
    """
    kinds = {f: Account._meta.get_field(f).get_internal_type() for f in fields}
    rows = Account.objects.filter(chunk.where("pk")).order_by("pk").select_for_update()
    return (
        frame_read(
            rows.values_list("pk", *fields),
            columns=["account", *fields],
            text=text,
            datetimes=[f for f, kind in kinds.items() if kind == "DateTimeField"],
            few=chunk.few,
            dtypes={"account": "int64"}
            | {f: "object" for f, kind in kinds.items() if kind == "CharField" and f not in text}
            | {f: "bool" for f, kind in kinds.items() if kind == "BooleanField"},
        )
        .set_index("account")
        .reindex(chunk.ids)
    )


def accounts_write(rows: pd.DataFrame) -> int:
    """Set the columns of `rows` (indexed by account id) on those accounts, in one statement."""
    return frame_update(Account, rows)
