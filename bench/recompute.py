"""Bulk recompute: CMI, CHS and cell of every account of one tenant (first part of issue 8's
bench 1; the one-statement SQL baseline and the 1,000,000-account run are still to come).

    .venv/bin/python bench/recompute.py [--accounts 20000]

Seeds a fresh organization in the PostgreSQL database `ascend_bench` with N accounts, each
with a submitted 12-factor assessment and 10 health metric values, clears their derived
scores, then times `segments.pipeline.accounts_recompute` over all of them (everything is
written: CMI, CHS, snapshots, cells, one migration per account). Prints the time and the rate,
and writes bench/results/recompute.json.
"""

import argparse
import json
import os
import random
import resource
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

METRICS = {  # metric → a plausible value
    "active_users_pct": lambda r: r.uniform(10, 95),
    "open_critical_tickets": lambda r: r.randint(0, 6),
    "arr_growth_pct": lambda r: r.uniform(-20, 40),
    "days_overdue": lambda r: r.randint(0, 90),
    "nps": lambda r: r.randint(-60, 80),
    "executive_relationship": lambda r: r.choice(["strong", "neutral", "weak"]),
    "power_user": lambda r: r.choice(["yes", "no"]),
    "reference_willingness": lambda r: r.choice(["yes", "maybe", "no"]),
    "mission_criticality": lambda r: r.choice(["high", "medium", "low"]),
    "contact": lambda r: r.randint(0, 60),
}


def seed(count: int):
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Account
    from health.models import MetricValue
    from health.services import scorecard_create_from_template
    from maturity.models import Answer, Assessment
    from maturity.services import framework_create_from_template
    from tenancy.context import tenant_context
    from tenancy.services import organization_create, user_get_or_create

    call_command("migrate", verbosity=0)
    rng = random.Random(3)
    owner, _ = user_get_or_create(email="bench@ascend.local", password=uuid.uuid4().hex)
    tag = uuid.uuid4().hex[:8]
    organization = organization_create(name=f"Bench {tag}", slug=f"bench-{tag}", owner=owner)
    with tenant_context(organization.id):
        framework = framework_create_from_template(
            organization=organization, template="cmi", primary=True
        )
        scorecard_create_from_template(organization=organization, template="chs", activate=True)
        version = framework.current_version
        keys = list(version.pillars.values_list("factors__key", flat=True))
        accounts = Account.objects.bulk_create(
            (Account(organization=organization, name=f"Bench {n}") for n in range(count)),
            batch_size=10_000,
        )
        moment = timezone.now() - timedelta(days=1)
        assessments = Assessment.objects.bulk_create(
            (
                Assessment(
                    organization=organization,
                    account=account,
                    version=version,
                    status=Assessment.Status.SUBMITTED,
                    submitted_at=moment,
                )
                for account in accounts
            ),
            batch_size=10_000,
        )
        Answer.objects.bulk_create(
            (
                Answer(
                    organization=organization, assessment=a, factor_key=k, score=rng.randint(1, 5)
                )
                for a in assessments
                for k in keys
            ),
            batch_size=20_000,
        )
        values = []
        for account in accounts:
            for metric, draw in METRICS.items():
                value = draw(rng)
                values.append(
                    MetricValue(
                        organization=organization,
                        account=account,
                        metric=metric,
                        number=None if isinstance(value, str) else float(value),
                        text=value if isinstance(value, str) else "",
                        observed_at=moment,
                        source=MetricValue.Source.API,
                    )
                )
        MetricValue.objects.bulk_create(values, batch_size=20_000)
    # The scorecard's activation already recomputed (tasks run in-process here): start the
    # timed run from nothing derived, so that it writes everything.
    with tenant_context(organization.id):
        from health.models import HealthSnapshot
        from segments.models import RecomputeRequest, TierMigration

        RecomputeRequest.objects.all().delete()
        TierMigration.objects.all().delete()
        HealthSnapshot.objects.all().delete()
        Account.objects.update(
            cmi=None, cmi_tier="", chs=None, chs_level="", chs_completeness=None, segment=""
        )
    return organization


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20_000)
    options = parser.parse_args()

    import subprocess

    subprocess.run(
        [str(ROOT / "scripts" / "setup-postgres.sh")],
        check=True,
        env={**os.environ, "ASCEND_DB_NAME": "ascend_bench"},
        stdout=subprocess.DEVNULL,
    )
    import django

    django.setup()
    from segments.pipeline import accounts_recompute
    from tenancy.context import tenant_context

    started = time.perf_counter()
    organization = seed(options.accounts)
    seeded = time.perf_counter() - started
    with tenant_context(organization.id):
        started = time.perf_counter()
        moved = accounts_recompute(cause=("bench", None))
        elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "accounts": options.accounts,
        "seed_seconds": round(seeded, 1),
        "recompute_seconds": round(elapsed, 2),
        "accounts_per_second": round(options.accounts / elapsed),
        "moved": moved,
        "peak_rss_mib_including_seed": round(peak),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "recompute.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
