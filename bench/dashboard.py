"""Dashboard server time with 100,000 accounts in one tenant.

    .venv/bin/python bench/dashboard.py [--accounts 100000] [--requests 30]

Seeds (once) an organization of N segmented accounts with migrations and growth metrics in the
PostgreSQL database `ascend_bench`, then times the dashboard view through Django's test client
(server time: view, queries and template; no network or browser). Prints median and p95 and
writes bench/results/dashboard.json.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DATABASE_URL", "postgres://ascend_app@127.0.0.1:5432/ascend_bench")
os.environ.setdefault("DATABASE_OWNER_URL", "postgres://ascend_owner@127.0.0.1:5432/ascend_bench")
os.environ.setdefault("DJANGO_DEBUG", "false")


def ensure_database():
    import subprocess

    env = {**os.environ, "ASCEND_DB_NAME": "ascend_bench"}
    subprocess.run(
        [str(ROOT / "scripts" / "setup-postgres.sh")],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def seed(count: int, slug: str):
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Account
    from health.models import MetricValue
    from health.services import scorecard_create_from_template
    from maturity.services import framework_create_from_template
    from segments.cells import GRID_3X3
    from segments.models import TierMigration
    from segments.selectors import grid_current
    from tenancy.context import tenant_context
    from tenancy.models import Organization
    from tenancy.selectors import organization_get_by_slug
    from tenancy.services import organization_create, user_get_or_create

    call_command("migrate", verbosity=0)
    try:
        organization = organization_get_by_slug(slug=slug)
        with tenant_context(organization.id):
            if Account.objects.count() >= count:
                return organization
    except Organization.DoesNotExist:
        owner, _ = user_get_or_create(email=f"{uuid.uuid4().hex[:8]}@bench.local", password="x")
        organization = organization_create(name="Bench", slug=slug, owner=owner)
    rng = random.Random(1)
    cells = list(GRID_3X3.items())
    levels, tiers = ["Low", "Medium", "High"], ["Low", "Medium", "High"]
    now = timezone.now()
    started = time.perf_counter()
    with tenant_context(organization.id):
        framework_create_from_template(organization=organization, template="cmi", primary=True)
        scorecard_create_from_template(organization=organization, template="chs", activate=False)
        from health.models import Scorecard

        Scorecard.objects.update(is_active=True)
        grid_current()
        batch = []
        for number in range(count):
            (row, column), key = rng.choice(cells)
            batch.append(
                Account(
                    organization=organization,
                    name=f"Bench {number}",
                    external_id=f"B{number}",
                    industry=rng.choice(["Defence", "IT wholesale", "Banking", "Hospitals"]),
                    region=rng.choice(["EMEA", "APAC", "North America"]),
                    size_band=rng.choice(["small", "mid", "large", "enterprise"]),
                    arr=round(rng.lognormvariate(10.5, 0.8), 2),
                    cmi=1 + column * 1.33 + rng.random() * 1.33,
                    cmi_tier=tiers[column],
                    chs=row * 33 + rng.random() * 33,
                    chs_level=levels[row],
                    segment=key,
                )
            )
        accounts = Account.objects.bulk_create(batch, batch_size=5000)
        TierMigration.objects.bulk_create(
            (
                TierMigration(
                    organization=organization,
                    account=a,
                    from_segment=rng.choice(cells)[1],
                    to_segment=a.segment,
                    cause="bench",
                    occurred_at=now - timedelta(days=rng.randint(0, 120)),
                )
                for a in rng.sample(accounts, count // 5)
            ),
            batch_size=5000,
        )
        MetricValue.objects.bulk_create(
            (
                MetricValue(
                    organization=organization,
                    account=a,
                    metric="arr_growth_pct",
                    number=rng.gauss(5, 10),
                    observed_at=now,
                    source="api",
                )
                for a in accounts
            ),
            batch_size=5000,
        )
    analyze()
    print(f"seeded {count:,} accounts in {time.perf_counter() - started:.0f} s")
    return organization


def analyze():
    """Fresh planner statistics, as autovacuum would give a real tenant (needs the owner)."""
    import subprocess

    tables = [
        "accounts_account",
        "health_metricvalue",
        "health_metriclatest",
        "segments_tiermigration",
    ]
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "ascend_owner",
            "ascend_bench",
            "-qc",
            f"ANALYZE {', '.join(tables)}",
        ],
        check=True,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.test import Client

    from tenancy.context import tenant_context
    from tenancy.models import Membership

    organization = seed(args.accounts, f"bench-{args.accounts}")
    with tenant_context(organization.id):
        user = Membership.objects.select_related("user").get().user
    client = Client()
    client.force_login(user)
    results = {}
    for name, url in [
        ("dashboard 3x3", "/segments/"),
        ("dashboard 2x2", "/segments/?view=2x2"),
        ("dashboard filtered", "/segments/?region=EMEA&size_band=large"),
        ("per-segment metrics", "/segments/metrics/"),
        ("grid API", "/api/v1/segments/grid/"),
    ]:
        client.get(url)  # warm up
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        times.sort()
        results[name] = {
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "requests": len(times),
        }
        print(
            f"{name:20s} median {results[name]['median_ms']:7.1f} ms   "
            f"p95 {results[name]['p95_ms']:7.1f} ms"
        )
    out = ROOT / "bench" / "results" / "dashboard.json"
    out.write_text(
        json.dumps(
            {
                "accounts": args.accounts,
                "machine": os.uname().nodename,
                "cpus": os.cpu_count(),
                "results": results,
            },
            indent=2,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
