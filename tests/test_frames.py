"""core.frames: pandas values become what the database takes, on either backend."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from core.frames import (
    FEW,
    _array_literal,
    _array_literal_few,
    _micros,
    column_where,
    frame_read,
    ids_in,
    python_value,
)

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    "old, new",
    [
        (pd.Series([1.5, np.nan, 3.0]), pd.Series([9.0, 8.0, np.nan])),
        (pd.Series(["a", "", "c"], dtype=object), pd.Series(["x", "y", ""])),
        (pd.Series([True, False, True]), pd.Series([False, True, True])),
        (
            pd.Series(pd.to_datetime(["2026-01-01", None, "2026-03-01"], utc=True)),
            pd.Series(pd.to_datetime(["2026-05-01", "2026-06-01", None], utc=True)),
        ),
        (
            pd.Series(pd.to_datetime(["2026-01-01", None, "2026-03-01"])).dt.tz_localize(PARIS),
            pd.Series(pd.to_datetime(["2026-05-01", "2026-06-01", None], utc=True)),
        ),
    ],
)
def test_column_where_picks_as_pandas_does_and_keeps_the_type(old, new):
    old.index = new.index = [30, 10, 20]
    keep = np.array([True, False, True])
    picked = pd.Series(column_where(keep, new, old), index=old.index)
    pd.testing.assert_series_equal(picked, old.where(~keep, new), check_dtype=False)
    assert picked.dtype == old.dtype or old.dtype == object


def test_column_where_takes_one_moment_for_all_and_aligns_by_index():
    old = pd.Series(pd.to_datetime(["2026-01-01", "2026-02-01"], utc=True), index=[1, 2])
    now = datetime(2026, 11, 24, 1, 2, 3, 456789, tzinfo=PARIS)
    picked = column_where(np.array([False, True]), now, old)
    assert list(picked) == [old[1], pd.Timestamp(now)] and str(picked.dtype) == str(old.dtype)
    shuffled = pd.Series([5.0, 6.0], index=[2, 1])
    assert list(column_where(np.array([True, True]), shuffled, old.astype("int64"))) == [6, 5]


@pytest.mark.parametrize("missing", [None, np.nan, pd.NaT, pd.NA])
def test_every_kind_of_missing_value_is_null(missing):
    assert python_value(missing) is None


def test_numpy_scalars_are_unwrapped():
    assert python_value(np.int64(3)) == 3 and type(python_value(np.int64(3))) is int
    assert type(python_value(np.float64(2.5))) is float


def test_array_literals_quote_escape_and_null():
    text = pd.Series(['a"b', "c\\d", None, "", "NULL"])
    assert _array_literal(text, "CharField") == '{"a\\"b","c\\\\d",NULL,"","NULL"}'
    ids = pd.Series([1, None], dtype="Int64")
    assert _array_literal(ids, "BigIntegerField") == "{1,NULL}"
    assert _array_literal(pd.Series([True, False]), "BooleanField") == "{t,f}"


KINDS = {
    "BigIntegerField": pd.Series([0, 7, None, -(2**62), 2**62], dtype="Int64"),
    "FloatField": pd.Series([0.1 + 0.2, 1e-7, 1e16, -2.5, np.nan, 3.0, 1 / 3]),
    "BooleanField": pd.Series([True, False, None, True], dtype=object),
    "CharField": pd.Series(['a"b', "c\\d", None, "", "NULL", "é ✓ {x,y}", "  "]),
}


@pytest.mark.parametrize("kind", KINDS)
def test_the_value_by_value_literal_is_the_vectorized_one(kind):
    column = KINDS[kind]
    assert _array_literal_few(column, kind) == _array_literal(column, kind)


def test_datetimes_become_the_same_microseconds_whichever_way():
    moments = pd.Series(
        [
            datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=ZoneInfo("Europe/Paris")),
            datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(2026, 11, 23, 8, 0),  # naive: taken as UTC
            None,
        ],
        dtype=object,
    )
    few = _micros(moments)
    assert few.tolist()[:3] == [1774744200123456, -1, 1795420800000000]
    assert few.isna().tolist() == [False, False, False, True]
    many = _micros(pd.concat([moments] * (FEW // len(moments) + 1), ignore_index=True))
    assert len(many) > FEW
    assert many.head(4).astype("Int64").tolist() == few.tolist()


@pytest.mark.django_db
def test_a_few_rows_read_through_the_orm_as_the_csv_reads_them(org_a, in_tenant):
    """The same frame, values and dtypes, from the CSV round trip and from the ORM's rows:
    NULL and empty texts, NULL numbers and external ids, datetimes, booleans."""
    from accounts.models import Account
    from health.models import MetricValue

    from .factories import AccountFactory

    with in_tenant(org_a):
        plain = AccountFactory(organization=org_a, external_id="", cmi=None, chs_stale=True)
        other = AccountFactory(organization=org_a, external_id='X-"1"', cmi=2.4, cmi_tier="")
        values = [(None, "", plain), (3.5, 'a,"b"\nc', plain), (1.0, "", other)]
        for number, text, account in values:
            MetricValue.objects.create(
                organization=org_a,
                account=account,
                metric="nps",
                number=number,
                text=text,
                observed_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
                source="api",
            )
        reads = [
            dict(
                query=Account.objects.order_by("pk").values_list(
                    "pk", "external_id", "cmi", "cmi_tier", "chs_stale", "cmi_updated_at"
                ),
                columns=["account", "external_id", "cmi", "cmi_tier", "stale", "updated"],
                dtypes={"account": "int64", "external_id": "object", "stale": "bool"},
                text=["cmi_tier"],
                datetimes=["updated"],
            ),
            dict(
                query=MetricValue.objects.order_by("pk").values_list(
                    "account_id", "metric", "number", "text", "observed_at"
                ),
                columns=["account", "metric", "number", "text", "observed_at"],
                dtypes={"account": "int64", "number": "float64", "metric": "category"},
                text=["text"],
                datetimes=["observed_at"],
            ),
        ]
        for read in reads:
            csv, orm = frame_read(**read), frame_read(**read, few=True)
            assert len(csv) >= 2
            pd.testing.assert_frame_equal(orm, csv)
            nothing = read | {"query": read["query"].filter(pk=-1)}
            csv, orm = frame_read(**nothing), frame_read(**nothing, few=True)
            assert csv.empty and list(csv.columns) == read["columns"]
            pd.testing.assert_frame_equal(orm, csv)


@pytest.mark.django_db
@pytest.mark.parametrize("picked", [0, 3, FEW + 1, 300])
def test_ids_in_selects_what_an_in_list_selects(org_a, in_tenant, picked):
    """Above a few ids the filter is one array parameter: it selects the rows asked for,
    none other, and ignores an id with no row."""
    from accounts.models import Account

    from .factories import AccountFactory

    with in_tenant(org_a):
        AccountFactory.create_batch(310, organization=org_a)
        ids = sorted(Account.objects.values_list("pk", flat=True))
        asked = [*ids[::2][:picked], max(ids) + 10_000]  # and one that does not exist
        rows = Account.objects.filter(ids_in(Account, "id", asked)).order_by("pk")
        assert list(rows.values_list("pk", flat=True)) == sorted(asked[:-1])


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [3, FEW + 36])
def test_columns_of_one_value_are_written_as_columns_of_many(org_a, in_tenant, rows):
    """A column holding one value throughout travels as one parameter: what is stored is the
    same as when it travels row by row (a few rows), for texts, NULLs, naive and aware
    datetimes, booleans and the key's neighbours in an UPDATE."""
    from accounts.models import Account
    from core.frames import frame_insert, frame_update
    from segments.models import TierMigration

    from .factories import AccountFactory

    naive, aware = datetime(2026, 11, 23, 8, 0), datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    with in_tenant(org_a):
        accounts = AccountFactory.create_batch(rows, organization=org_a)
        ids = [account.pk for account in accounts]
        frame_insert(
            TierMigration,
            pd.DataFrame(
                {
                    "organization": str(org_a.id),
                    "account": ids,
                    "from_segment": "",
                    "to_segment": ["retain" if n % 2 else "save" for n in range(rows)],
                    "cause": 'a "bench"',
                    "cause_id": pd.array([None] * rows, dtype="Int64"),
                    "occurred_at": naive,
                    "txid": 7,
                }
            ),
        )
        frame_update(
            Account,
            pd.DataFrame(
                {"cmi": [n / 10 for n in range(rows)], "chs_stale": True, "cmi_updated_at": aware},
                index=pd.Index(ids),
            ),
        )
        moves = list(
            TierMigration.objects.order_by("account_id").values_list(
                "account_id",
                "from_segment",
                "to_segment",
                "cause",
                "cause_id",
                "occurred_at",
                "txid",
            )
        )
        stored = list(
            Account.objects.order_by("pk").values_list("cmi", "chs_stale", "cmi_updated_at")
        )
    moment = naive.replace(tzinfo=UTC)
    assert moves == [
        (pk, "", "retain" if n % 2 else "save", 'a "bench"', None, moment, 7)
        for n, pk in enumerate(ids)
    ]
    assert stored == [(n / 10, True, aware) for n in range(rows)]


@pytest.mark.django_db
def test_the_latest_of_each_group_is_the_same_by_distinct_on_as_by_a_window(org_a, in_tenant):
    """PostgreSQL's DISTINCT ON and the window SQLite runs keep the same row of each
    (account, metric): the latest observed, the highest id among equal moments."""
    from core.frames import _latest_window, latest_of
    from health.models import MetricValue

    from .factories import AccountFactory

    moments = [datetime(2026, 1, day, tzinfo=UTC) for day in (3, 1, 3, 2)]
    with in_tenant(org_a):
        for account in AccountFactory.create_batch(3, organization=org_a):
            for metric in ("nps", "contact"):
                for n, moment in enumerate(moments):
                    MetricValue.objects.create(
                        organization=org_a,
                        account=account,
                        metric=metric,
                        number=n,
                        observed_at=moment,
                        source="api",
                    )
        by_jan_2 = MetricValue.objects.filter(observed_at__lte=datetime(2026, 1, 2, tzinfo=UTC))
        # All: the two of Jan 3, the later written (2). By Jan 2: that of Jan 2 (3).
        for subset, number in ((MetricValue.objects.all(), 2), (by_jan_2, 3)):
            picked = [
                sorted(
                    way(subset, ["account_id", "metric"], ["observed_at", "id"]).values_list(
                        "account_id", "metric", "number"
                    )
                )
                for way in (latest_of, _latest_window)
            ]
            assert picked[0] == picked[1]
            assert len(picked[0]) == 6 and {n for *_, n in picked[0]} == {number}
