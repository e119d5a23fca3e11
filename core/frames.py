"""DataFrames in and out of the database, fast on PostgreSQL and correct everywhere.

A million rows fetched as Python tuples through a Django cursor take seconds to build and as
much again to turn into a DataFrame. On PostgreSQL a read is one query whose result is a
single CSV text value, aggregated by PostgreSQL and parsed by pandas' C reader; a write is
one `UPDATE … FROM unnest(arrays)` or `INSERT … SELECT … FROM unnest(arrays)` (PostgreSQL
refuses `COPY FROM` under row-level security). On SQLite (the embedded default) they fall
back to a plain cursor, `bulk_create` and `bulk_update`. Row-level security applies to each
statement as to any other.
"""

import io
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber


def python_value(value):
    """A value a database driver can take: numpy scalars unwrapped, NaN, NaT and NA as NULL."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def frame_read(
    query: QuerySet,
    *,
    columns: Sequence[str],
    dtypes: Mapping[str, str] | None = None,
    text: Sequence[str] = (),
    datetimes: Sequence[str] = (),
    few: bool = False,
) -> pd.DataFrame:
    """The rows of `query` (a values_list queryset) as a DataFrame with `columns`.

    `text` names columns whose NULLs and empty strings both read as "". `datetimes` names
    columns parsed as UTC timestamps. Other missing values (empty strings too) are NaN.
    `few` says the caller expects a few rows (one account's): they are read through the ORM,
    which for a handful of rows costs less than the CSV round trip (~2 ms of fixed cost).
    """
    if connection.vendor != "postgresql" or few:
        return _rows_frame(list(query), columns, dtypes or {}, text, datetimes)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        kinds = [
            MICROS if c in datetimes else PLAIN if _unquoted(dtypes, c) else QUOTED for c in columns
        ]
        cursor.execute(_as_one_csv(sql, kinds), params)
        (content,) = cursor.fetchone()
    if not content:
        return _rows_frame([], columns, dtypes or {}, text, datetimes)
    frame = pd.read_csv(
        io.StringIO(content),
        names=list(columns),
        header=None,
        dtype={column: str for column in text}
        | {column: "Int64" for column in datetimes}
        | dict(dtypes or {}),
        keep_default_na=False,
        true_values=["true"],
        false_values=["false"],
        na_values={c: [""] for c in columns if c not in text},
    )
    for column in text:
        frame[column] = frame[column].fillna("").astype(object)
    for column in datetimes:
        frame[column] = pd.to_datetime(frame[column], unit="us", utc=True).astype(MOMENT)
    for column, kind in (dtypes or {}).items():
        if column not in text and kind != "object":
            frame[column] = frame[column].astype(kind)
    return frame


def column_where(keep: np.ndarray, new, old: pd.Series):
    """Each value of `new` (a Series in `old`'s order, or one value for all) where `keep`,
    else `old`'s, as an array of `old`'s type.

    In numpy: pandas' `where` and `mask` cost 0.2 ms a column and DataFrame.where 1.5 ms on a
    frame of two, even for one row, which made them a fifth of a one-account drain.
    """
    if isinstance(new, pd.Series) and not new.index.equals(old.index):
        new = new.reindex(old.index)
    if isinstance(old.dtype, pd.DatetimeTZDtype):  # numpy has no time zones: pick in UTC
        naive = f"datetime64[{old.dtype.unit}]"
        if isinstance(new, pd.Series):
            new = new.to_numpy(dtype=naive)
        else:
            new = pd.Timestamp(new).tz_convert(None).to_datetime64().astype(naive)
        picked = np.where(keep, new, old.to_numpy(dtype=naive))
        return pd.array(picked).tz_localize("UTC").tz_convert(old.dtype.tz)
    return np.where(keep, new.to_numpy() if isinstance(new, pd.Series) else new, old.to_numpy())


def latest_of(rows: QuerySet, partition: Sequence[str], order: Sequence[str]) -> QuerySet:
    """Of `rows`, the last by `order` (descending) within each `partition`.

    `DISTINCT ON` on PostgreSQL: over an index in that order it keeps the first row of each
    group as it passes (a million metric values: ~0.15 s, where numbering every row in a
    window and filtering on the number took ~0.65 s). A window elsewhere.
    """
    if connection.vendor == "postgresql":
        keys = [*partition, *(f"-{field}" for field in order)]
        return rows.order_by(*keys).distinct(*partition)
    return _latest_window(rows, partition, order)


def _latest_window(rows: QuerySet, partition: Sequence[str], order: Sequence[str]) -> QuerySet:
    return (
        rows.order_by()
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F(field) for field in partition],
                order_by=[F(field).desc() for field in order],
            )
        )
        .filter(rank=1)
    )


def ids_in(model, field: str, ids: Sequence[int]) -> Q | RawSQL:
    """A filter: `field` (an integer column of `model`) is one of `ids`.

    `field__in=ids` makes one query parameter per id: for 100,000 ids the ORM spends ~1.2 s
    preparing them and PostgreSQL ~0.2 s planning the list. On PostgreSQL, above a few ids,
    they travel as one array literal instead."""
    if connection.vendor != "postgresql" or len(ids) <= FEW:
        return Q(**{f"{field}__in": list(ids)})
    quote = connection.ops.quote_name
    column = f"{quote(model._meta.db_table)}.{quote(model._meta.get_field(field).column)}"
    literal = "{" + ",".join(map(str, np.asarray(ids, dtype="int64").tolist())) + "}"
    return RawSQL(f"{column} = ANY(%s::bigint[])", [literal], output_field=BooleanField())


def _rows_frame(rows: list[tuple], columns, dtypes, text, datetimes) -> pd.DataFrame:
    """The frame `frame_read` makes of CSV, made of the rows the ORM's converters gave: one
    array per column and one DataFrame, since each pandas operation on a frame of a few rows
    costs ~50-100 µs whatever its size."""
    cells = dict(zip(columns, zip(*rows, strict=True), strict=True)) if rows else {}
    data = {}
    for column in columns:
        values = list(cells.get(column, ()))
        kind = dtypes.get(column)
        if column in text:
            data[column] = pd.Series(["" if v is None else v for v in values], dtype=object)
        elif column in datetimes:
            data[column] = pd.to_datetime(pd.Series(values, dtype=object), utc=True).astype(MOMENT)
        elif kind == "category":
            data[column] = pd.Categorical(values)
        elif kind is not None and kind != "object":
            data[column] = np.array(values, dtype=kind)
        else:
            data[column] = _missing_as_nan(pd.Series(values, dtype=kind))
    return pd.DataFrame(data)  # Series, not arrays: pandas would infer `str` for object ones


def _missing_as_nan(values: pd.Series) -> pd.Series:
    """As the CSV reads a column of no declared type: a NULL or an empty string is NaN."""
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return values
    cells = values.to_numpy(dtype=object)
    missing = pd.isna(cells) | (cells == "")
    return pd.Series(np.where(missing, np.nan, cells), dtype=object)


def _unquoted(dtypes: Mapping[str, str] | None, column: str) -> bool:
    """Whether a column's text can never hold a comma, a quote or a newline: numbers, booleans."""
    kind = (dtypes or {}).get(column)
    if kind is None or kind in ("category", "object"):
        return False
    return pd.api.types.is_bool_dtype(kind) or pd.api.types.is_numeric_dtype(kind)


QUOTED, PLAIN, MICROS = "quoted", "plain", "micros"
MOMENT = "datetime64[us, UTC]"  # a datetime column read, whichever way (and if all NULL)


def _as_one_csv(sql: str, kinds: Sequence[str]) -> str:
    """`sql` rewritten to return its rows as one CSV text value.

    One value, aggregated by PostgreSQL, costs one round trip; `COPY … TO STDOUT` hands rows
    over one at a time, in Python (bench/README.md has the figures). Text fields are QUOTED
    (doubling inner quotes); PLAIN ones (numbers, booleans) need not be, which saves
    PostgreSQL a replace() per value; datetimes travel as
    integer MICROS since 1970, which pandas reads several times faster than ISO text. NULL is
    an empty field.
    """
    names = [f"c{i}" for i in range(len(kinds))]
    formats = {
        QUOTED: """coalesce('"' || replace({}::text, '"', '""') || '"', '')""",
        PLAIN: "coalesce({}::text, '')",
        MICROS: "coalesce((extract(epoch from {}) * 1000000)::bigint::text, '')",
    }
    fields = " || ',' || ".join(
        formats[kind].format(name) for name, kind in zip(names, kinds, strict=True)
    )
    return f"SELECT string_agg({fields}, E'\\n') FROM ({sql}) AS q({', '.join(names)})"


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
    source, arrays, values, scalars = _unnest(frame, fields)
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {', '.join(values)} FROM {source}",
            [*scalars, *arrays],
        )
    return len(frame)


def frame_update(model, rows: pd.DataFrame) -> int:
    """Set the columns of `rows` (indexed by primary key) on those rows of `model`'s table.

    One `UPDATE … FROM unnest(arrays)` on PostgreSQL: Django's bulk_update builds a CASE
    expression per row and field in Python. Elsewhere (SQLite,
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
    source, arrays, values, scalars = _unnest(rows.reset_index(names="__pk"), [pk, *fields])
    assignments = ", ".join(
        f"{quote(field.column)} = {value}" for field, value in zip(fields, values[1:], strict=True)
    )
    key = f"t.{quote(pk.column)}"
    with connection.cursor() as cursor:
        # The bounds let the planner read only the rows' range of the table: without them it
        # hashed all of a tenant's million accounts to update a chunk of 100,000 (0.75 s).
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} FROM {source} "
            f"WHERE {key} = {values[0]} AND {key} BETWEEN %s AND %s",
            [*scalars, *arrays, int(rows.index.min()), int(rows.index.max())],
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


def _unnest(frame: pd.DataFrame, fields) -> tuple[str, list[str], list[str], list]:
    """`unnest(%s::type[], …) AS v(c0, …)`, one array literal per column, the SQL value of
    each column, and the parameters those values take.

    Handing psycopg a million Python values per column costs a Python call each; an array
    literal is built with vectorized string operations and parsed by PostgreSQL. Datetimes
    travel as integer microseconds since 1970 (formatting them as text costs ~5 µs each). A
    column holding one value throughout (the organization, the moment of a recompute, its
    cause) travels once, as a parameter of its value, instead of once per row. The values
    precede the FROM clause: their parameters come before the arrays'.
    """
    many = len(frame) > FEW
    literal = _array_literal if many else _array_literal_few
    types, arrays, values, scalars = [], [], [], []
    for i, ((_, column), field) in enumerate(zip(frame.items(), fields, strict=True)):
        kind = (field.target_field if field.is_relation else field).get_internal_type()
        db_type = field.db_type(connection)
        if many and i and _constant(column):  # never the first: an UPDATE's key
            scalars.append(_scalar(column.iloc[0]))
            values.append(f"%s::{db_type}")
        elif kind == "DateTimeField":
            types.append("bigint")
            arrays.append(literal(_micros(column), "BigIntegerField"))
            values.append(f"timestamptz 'epoch' + v.c{len(types) - 1} * interval '1 microsecond'")
        else:
            types.append(db_type)
            arrays.append(literal(column, kind))
            values.append(f"v.c{len(types) - 1}")
    names = ", ".join(f"c{i}" for i in range(len(types)))
    sources = ", ".join(f"%s::{kind}[]" for kind in types)
    return f"unnest({sources}) AS v({names})", arrays, values, scalars


def _scalar(value):
    """One value as a query parameter; a naive datetime taken as UTC, as `_micros` does."""
    value = python_value(value)
    if isinstance(value, pd.Timestamp):
        value = (value.tz_localize("UTC") if value.tzinfo is None else value).to_pydatetime()
    return value


def _constant(column: pd.Series) -> bool:
    """Whether every row holds the same value, or every row none."""
    first = column.iloc[0]
    if python_value(first) is None:
        return bool(column.isna().all())
    return bool((column == first).all())


EPOCH = pd.Timestamp(0, tz="UTC")
FEW = 64  # rows below which pandas' fixed cost per operation outweighs its speed per value


def _micros(column: pd.Series) -> pd.Series:
    """Datetimes (naive ones taken as UTC) as integer microseconds since 1970."""
    if len(column) > FEW:
        return (pd.to_datetime(column, utc=True) - EPOCH) // pd.Timedelta(1, "us")
    micros: list[int | None] = []
    for value in column.tolist():
        if python_value(value) is None:
            micros.append(None)
            continue
        moment = pd.Timestamp(value)
        moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
        micros.append((moment - EPOCH) // pd.Timedelta(1, "us"))
    return pd.Series(micros, index=column.index, dtype="Int64")


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


def _array_literal_few(column: pd.Series, kind: str) -> str:
    """`_array_literal`, the same text, built value by value: a one-row frame costs ~0.3 ms a
    column through pandas' string methods, a few µs this way."""
    items = []
    for value in column.tolist():
        value = python_value(value)
        if value is None:
            items.append("NULL")
        elif kind == "BooleanField":
            items.append("t" if value else "f")
        elif kind == "FloatField":
            items.append(repr(float(value)))
        elif kind in NUMERIC:
            items.append(str(int(value)))
        else:
            text = str(value).replace("\\", "\\\\").replace('"', '\\"')
            items.append(f'"{text}"')
    return "{" + ",".join(items) + "}"


def values_same(old: pd.Series, new: pd.Series) -> pd.Series:
    """Equal floats, NaN equal to NaN."""
    old, new = old.astype(float), new.astype(float)
    return (old.isna() & new.isna()) | np.isclose(old, new, rtol=0, atol=1e-9)
