"""DataFrames in and out of the database, fast on PostgreSQL and correct everywhere.

A million rows fetched as Python tuples through a Django cursor take seconds to build and as
much again to turn into a DataFrame. On PostgreSQL these helpers stream them as CSV through
`COPY … TO STDOUT` / `COPY … FROM STDIN` and let pandas' C parser and writer do the work.
On SQLite (the embedded default) they fall back to a plain cursor and `bulk_create`.
Row-level security applies to COPY exactly as to the query it wraps.
"""

import io
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import QuerySet


def python_value(value):
    """A value psycopg can send: numpy scalars unwrapped, NaN and NaT as NULL."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def frame_read(
    query: QuerySet | str,
    params: Sequence = (),
    *,
    columns: Sequence[str],
    dtypes: Mapping[str, str] | None = None,
    text: Sequence[str] = (),
    datetimes: Sequence[str] = (),
) -> pd.DataFrame:
    """The rows of `query` (a values_list queryset, or SQL with `%s` parameters) as a
    DataFrame with `columns`.

    `text` names columns whose NULLs and empty strings both read as "" (CSV cannot tell them
    apart once parsed). `datetimes` names columns parsed as UTC timestamps. Other missing
    values are NaN.
    """
    sql, params = query.query.sql_with_params() if isinstance(query, QuerySet) else (query, params)
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        copy_sql = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
        with connection.cursor() as cursor, cursor.copy(copy_sql, params) as copy:
            for block in copy:
                buffer.write(block)
        buffer.seek(0)
        if buffer.getbuffer().nbytes == 0:
            frame = pd.DataFrame({column: [] for column in columns})
        else:
            frame = pd.read_csv(
                buffer,
                names=list(columns),
                header=None,
                dtype={column: str for column in [*text, *datetimes]} | dict(dtypes or {}),
                keep_default_na=False,
                true_values=["t"],
                false_values=["f"],
                na_values={c: [""] for c in columns if c not in text},
            )
    elif isinstance(query, QuerySet):  # the ORM applies SQLite's type converters
        frame = pd.DataFrame.from_records(list(query), columns=list(columns))
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            frame = pd.DataFrame.from_records(cursor.fetchall(), columns=list(columns))
    for column in text:
        frame[column] = frame[column].fillna("").astype(object)
    for column in datetimes:  # PostgreSQL's text, or the datetimes SQLite's converters made
        strings = connection.vendor == "postgresql"
        frame[column] = pd.to_datetime(
            frame[column], utc=True, format="ISO8601" if strings else None
        )
    for column, kind in (dtypes or {}).items():
        if column not in text and kind != "object":
            frame[column] = frame[column].astype(kind)
    return frame


def frame_insert(model, frame: pd.DataFrame) -> int:
    """Insert the rows of `frame` (columns named like the model's fields) into `model`'s table.

    One `INSERT … SELECT … FROM unnest(arrays)` on PostgreSQL (COPY FROM refuses tables under
    row-level security); `bulk_create` elsewhere. Returns the row count.
    """
    if frame.empty:
        return 0
    fields = [model._meta.get_field(name) for name in frame.columns]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            (
                model(**{f.attname: python_value(v) for f, v in zip(fields, row, strict=True)})
                for row in frame.itertuples(index=False)
            ),
            batch_size=2000,
        )
        return len(frame)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    sources, arrays = _unnest(frame, fields)
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({sources})", arrays)
    return len(frame)


def frame_update(model, rows: pd.DataFrame) -> int:
    """Set the columns of `rows` (indexed by primary key) on those rows of `model`'s table.

    One `UPDATE … FROM unnest(arrays)` on PostgreSQL: Django's bulk_update builds a CASE
    expression per row and field in Python, which cost ~10 ms per row. Elsewhere (SQLite,
    the embedded default) it is bulk_update. Row-level security applies as always.
    """
    if rows.empty:
        return 0
    names = list(rows.columns)
    fields = [model._meta.get_field(name) for name in names]
    if connection.vendor != "postgresql":
        model.objects.bulk_update(
            [
                model(pk=int(pk), **{f: python_value(v) for f, v in zip(names, row, strict=True)})
                for pk, row in zip(rows.index, rows.itertuples(index=False), strict=True)
            ],
            names,
            batch_size=1000,
        )
        return len(rows)
    quote = connection.ops.quote_name
    pk = model._meta.pk
    frame = rows.reset_index(names="__pk").rename(columns=dict(zip(names, names, strict=True)))
    sources, arrays = _unnest(frame, [pk, *fields])
    columns = [quote(field.column) for field in fields]
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "
            f"FROM unnest({sources}) AS v(__pk, {', '.join(columns)}) "
            f"WHERE t.{quote(pk.column)} = v.__pk",
            arrays,
        )
    return len(rows)


NUMERIC = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "FloatField",
}


def _unnest(frame: pd.DataFrame, fields) -> tuple[str, list[str]]:
    """`unnest(%s::type[], …)` and one array literal per column, built by pandas.

    Handing psycopg a million Python values per column costs a Python call each; an array
    literal is built with vectorized string operations and parsed by PostgreSQL.
    """
    sources, arrays = [], []
    for (_, column), field in zip(frame.items(), fields, strict=True):
        kind = field.target_field.get_internal_type() if field.is_relation else None
        kind = kind or field.get_internal_type()
        sources.append(f"%s::{field.db_type(connection)}[]")
        arrays.append(_array_literal(column, kind))
    return ", ".join(sources), arrays


def _array_literal(column: pd.Series, kind: str) -> str:
    missing = column.isna().to_numpy()
    if kind == "BooleanField":
        text = pd.Series(np.where(column.astype(bool), "t", "f"), index=column.index)
    elif kind in NUMERIC:
        values = column.astype("Int64") if kind != "FloatField" else column.astype(float)
        text = values.astype(str)
    else:
        escaped = column.astype(str).str.replace("\\", "\\\\", regex=False)
        text = '"' + escaped.str.replace('"', '\\"', regex=False) + '"'
    text = text.where(~missing, "NULL")
    return "{" + ",".join(text.tolist()) + "}"
