"""MetricLatest: each account's latest value per metric, kept by the database's triggers on
MetricValue whatever the order of the values, on PostgreSQL and on the embedded SQLite."""

import importlib
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.frames import latest_of
from health.models import MetricLatest, MetricValue
from health.provider import latest_values

from ..factories import AccountFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
METRICS = ["nps", "active_users_pct"]
COLUMNS = ["account_id", "metric", "number", "observed_at"]


def from_history() -> list[tuple]:
    """The latest value of each (account, metric), by the definition: read from the history."""
    rows = latest_of(MetricValue.objects.all(), ["account_id", "metric"], ["observed_at", "id"])
    return sorted(rows.values_list("account_id", "metric", "id", "number", "observed_at"))


def kept() -> list[tuple]:
    rows = MetricLatest.objects.values_list(
        "account_id", "metric", "metric_value_id", "number", "observed_at"
    )
    return sorted(rows)


# A value: (account, metric, minutes from a base). Few minutes, so ties are common and the
# id decides; in any order, so older values often arrive after newer ones.
a_value = st.tuples(st.integers(0, 1), st.sampled_from(METRICS), st.integers(0, 4))
an_operation = st.one_of(
    st.tuples(st.just("insert"), st.lists(a_value, min_size=1, max_size=6)),
    st.tuples(st.just("shift"), st.integers(0, 40), st.integers(-3, 3)),
    st.tuples(st.just("age"), st.integers(0, 1), st.integers(-3, 3)),
    st.tuples(st.just("delete"), st.integers(0, 40)),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(an_operation, min_size=1, max_size=8))
def test_the_kept_latest_values_are_always_those_of_the_history(
    org_a, account_a, in_tenant, operations
):
    """Inserts of several values per statement, edits of one value or of a whole account's,
    and deletions: after each, the kept table equals the history's latest values."""
    base = timezone.now() - timedelta(days=1)
    with in_tenant(org_a):
        MetricValue.objects.all().delete()  # each example starts from no history
        assert kept() == []
        accounts = [account_a, AccountFactory(organization=org_a)]
        for operation in operations:
            values = list(MetricValue.objects.order_by("id"))
            match operation:
                case ("insert", items):
                    MetricValue.objects.bulk_create(
                        MetricValue(
                            organization=org_a,
                            account=accounts[which],
                            metric=metric,
                            number=float(len(values) + position),
                            observed_at=base + timedelta(minutes=minutes),
                            source=MetricValue.Source.API,
                        )
                        for position, (which, metric, minutes) in enumerate(items)
                    )
                case ("shift", index, minutes) if values:
                    MetricValue.objects.filter(pk=values[index % len(values)].pk).update(
                        observed_at=F("observed_at") + timedelta(minutes=minutes)
                    )
                case ("age", which, minutes):
                    MetricValue.objects.filter(account=accounts[which]).update(
                        observed_at=F("observed_at") + timedelta(minutes=minutes)
                    )
                case ("delete", index) if values:
                    MetricValue.objects.filter(pk=values[index % len(values)].pk).delete()
            assert kept() == from_history(), operation


def put(org, account, number, at):
    return MetricValue.objects.create(
        organization=org, account=account, metric="nps", number=number, observed_at=at, source="api"
    )


def test_values_observed_after_the_moment_asked_are_read_from_the_history(
    org_a, account_a, in_tenant
):
    """A value may be stamped a few minutes ahead, and a recompute may ask as of a past
    moment (the demo replays months): then the kept value is too new, and the history
    answers for that account alone."""
    now = timezone.now()
    with in_tenant(org_a):
        other = AccountFactory(organization=org_a)
        put(org_a, account_a, 10, now - timedelta(days=10))
        put(org_a, account_a, 20, now - timedelta(days=1))
        put(org_a, account_a, 30, now + timedelta(minutes=3))
        put(org_a, other, 70, now - timedelta(days=2))

        def numbers(moment):
            frame = latest_values([account_a.pk, other.pk], ["nps"], moment)
            return dict(zip(frame["account"], frame["number"], strict=True))

        assert numbers(now + timedelta(hours=1)) == {account_a.pk: 30, other.pk: 70}
        assert numbers(now) == {account_a.pk: 20, other.pk: 70}
        assert numbers(now - timedelta(days=5)) == {account_a.pk: 10}
        assert numbers(now - timedelta(days=20)) == {}


def test_the_migration_fills_the_table_from_each_tenant_history(
    org_a, org_b, account_a, account_b, in_tenant
):
    from django.db import connection

    fill = importlib.import_module("health.migrations.0008_metric_latest_kept").fill
    now = timezone.now()
    for organization, account in ((org_a, account_a), (org_b, account_b)):
        with in_tenant(organization):
            for number, days_ago in ((1, 2), (2, 1), (3, 3)):
                put(organization, account, number, now - timedelta(days=days_ago))
            MetricLatest.objects.all().delete()  # as before the migration
    fill(connection)
    for organization, account in ((org_a, account_a), (org_b, account_b)):
        with in_tenant(organization):
            assert kept() == from_history()
            assert [(row[0], row[3]) for row in kept()] == [(account.pk, 2.0)]


def test_an_account_deleted_takes_its_latest_values_along(org_a, account_a, in_tenant):
    with in_tenant(org_a):
        put(org_a, account_a, 10, timezone.now())
        assert MetricLatest.objects.filter(account=account_a).exists()
        account_a.delete()
        assert not MetricLatest.objects.exists()


def test_the_embedded_sqlite_keeps_the_latest_values_too(tmp_path):
    """The app's default database is SQLite, where the triggers are written per row."""
    script = """
import importlib
import json
from datetime import datetime, timedelta, UTC
from django.db.models import F
from core.frames import latest_of
from health.models import MetricLatest, MetricValue
from tenancy.context import tenant_context
from tests.factories import AccountFactory, OrganizationFactory

org = OrganizationFactory()
base = datetime(2026, 11, 1, tzinfo=UTC)
with tenant_context(org.id):
    a, b = AccountFactory(organization=org), AccountFactory(organization=org)
    def value(account, metric, number, minutes):
        return MetricValue(organization=org, account=account, metric=metric, number=number,
                           observed_at=base + timedelta(minutes=minutes), source="api")
    MetricValue.objects.bulk_create([value(a, "nps", 1, 5), value(a, "nps", 2, 9),
        value(a, "nps", 3, 9), value(b, "nps", 4, 1), value(a, "logins", 5, 2)])
    MetricValue.objects.create(**{f.name: getattr(value(a, "nps", 6, 7), f.name)
        for f in MetricValue._meta.concrete_fields if f.name != "id"})  # older, arrives later
    steps = []
    def record():
        kept = MetricLatest.objects.values_list("account_id", "metric", "number", "observed_at")
        history = latest_of(MetricValue.objects.all(), ["account_id", "metric"],
                            ["observed_at", "id"]).values_list(
            "account_id", "metric", "number", "observed_at")
        steps.append([sorted(map(str, kept)), sorted(map(str, history)),
                      sorted((m, n) for pk, m, n, at in kept if pk == a.pk)])
    record()
    MetricValue.objects.filter(account=a, number=3).update(observed_at=F("observed_at")
        - timedelta(minutes=8))
    record()
    MetricValue.objects.filter(account=a, number=2).delete()
    record()
print(json.dumps(steps))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "CELERY"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
    }
    python = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*python, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    result = subprocess.run(
        [*python, "shell", "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    steps = json.loads(result.stdout.strip().splitlines()[-1])
    for kept_rows, history_rows, _ in steps:
        assert kept_rows == history_rows
    # the tie at minute 9 goes to the later id; the older value arriving last changes nothing;
    # moving the newest back and deleting the next fall back to the history's next latest
    assert [dict(of_a) for _, _, of_a in steps] == [
        {"nps": 3.0, "logins": 5.0},
        {"nps": 2.0, "logins": 5.0},
        {"nps": 6.0, "logins": 5.0},
    ]
