"""Timestamps read through psycopg's C loader come out exactly as Django's own loader reads them."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from core.postgres import TIMESTAMPTZ

pytestmark = pytest.mark.django_db

INSTANTS = [
    "2026-11-23 04:45:33.048188+00",
    "2026-03-29 01:59:59.999999+00",  # a DST change in Europe
    "2026-03-29 03:30:00+05:30",
    "1899-12-31 23:59:59-00:01:15",  # an offset with seconds, before 1900
    "9999-12-31 23:59:59.999999+00",
    "0001-01-01 00:00:00+00",
]


def _read(cursor, instants=INSTANTS) -> list:
    values = ", ".join(f"('{instant}'::timestamptz)" for instant in instants)
    cursor.execute(f"SELECT v FROM (VALUES {values}) AS t(v)")
    return [row[0] for row in cursor.fetchall()]


def test_timestamps_read_as_djangos_loader_reads_them():
    with connection.cursor() as cursor:
        loader = cursor.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
        assert loader.__module__ == "core.postgres"
        ours = _read(cursor)
    with connection.connection.cursor() as raw:
        register_tzloader(connection.timezone, raw)  # Django's loader, on this cursor only
        django = _read(raw)
    assert ours == django
    assert [value.tzinfo for value in ours] == [value.tzinfo for value in django]
    assert ours[2] == datetime.datetime(2026, 3, 28, 22, 0, tzinfo=datetime.UTC)


def test_a_changed_time_zone_is_honoured(settings):
    """Django registers its own loader on a cursor whose zone differs from the connection's."""
    settings.TIME_ZONE = "Asia/Kolkata"
    settings.USE_TZ = False  # naive local times, as Django reads them without time zones
    with connection.cursor() as cursor:
        (value,) = _read(cursor, INSTANTS[:1])
    assert value == datetime.datetime(2026, 11, 23, 10, 15, 33, 48188)
