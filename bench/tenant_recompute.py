"""Bench 1 and 4 of issue 8: the bulk recompute of one tenant, against one SQL statement.

    .venv/bin/python bench/tenant_recompute.py [--accounts 1000000] [--reuse]

Seeds an organization in the PostgreSQL database `ascend_bench` with N accounts, each with a
submitted 12-factor assessment (random 1-5 answers) and 10 health metric values, using
INSERT … SELECT generate_series (the ORM would take an hour for a million). --reuse keeps
a previous run's organization of the same size instead of seeding again.

Then, each from the same state (derived columns cleared, VACUUM ANALYZE):

1. baseline: one SQL statement over our tables that computes every account's CMI and tier
   (latest submitted assessment, inverted factors, pillar means, weights renormalized over
   answered pillars, tier by threshold) and writes them back;
2. ours, CMI part: `recompute.pipeline.accounts_recompute(redo={"cmi"})` (locks, reads, scores with
   pandas, writes); its CMIs and tiers are checked against the baseline's;
3. ours, whole, in this process: `recompute.pipeline.accounts_recompute()` (CMI, CHS with a
   snapshot, cell, a migration per account: everything changes), in one transaction;
4. ours, whole, as the app runs it: a tenant-wide request in the outbox, drained by a real
   Celery worker (concurrency 2, one process per core) that splits it into parts of
   RECOMPUTE_PART_ACCOUNTS accounts, one task each; timed from the request's commit to the
   last part's.

Prints the figures and writes bench/results/recompute.json. Peak memory is the largest
resident set of this process (3: the seeding runs in PostgreSQL) and of the worker's (4).
"""

import argparse
import json
import os
import platform
import resource
import time

from common import (
    Served,
    execute,
    owner_run,
    result_write,
    setup,
    step,
    tenant_seed,
    unique,
)

os.environ.update(Served.BROKER)  # this process publishes to the bench worker (4)

# metric → SQL for (number, text): plausible values, as the demo's.
METRICS = {
    "active_users_pct": ("10 + random() * 85", None),
    "open_critical_tickets": ("floor(random() * 7)", None),
    "arr_growth_pct": ("-20 + random() * 60", None),
    "days_overdue": ("floor(random() * 91)", None),
    "nps": ("-60 + floor(random() * 141)", None),
    "executive_relationship": (None, ["strong", "neutral", "weak"]),
    "power_user": (None, ["yes", "no"]),
    "reference_willingness": (None, ["yes", "maybe", "no"]),
    "mission_criticality": (None, ["high", "medium", "low"]),
    "contact": ("floor(random() * 61)", None),
}

BASELINE = """
WITH latest AS MATERIALIZED (
    SELECT DISTINCT ON (s.account_id) s.account_id, s.id
    FROM maturity_assessment s
    WHERE s.status = 'submitted' AND s.version_id = ANY(%(versions)s)
    ORDER BY s.account_id, s.submitted_at DESC, s.id DESC
), factor AS MATERIALIZED (
    SELECT f.key, p.key AS pillar, p.weight, f.direction = 'inverted' AS inverted
    FROM maturity_factor f JOIN maturity_pillar p ON p.id = f.pillar_id
    WHERE p.version_id = %(version)s
), tier AS MATERIALIZED (
    SELECT name, lower, lead(lower) OVER (ORDER BY lower) AS upper
    FROM maturity_tier WHERE version_id = %(version)s
), pillar AS (
    SELECT l.account_id, fa.weight,
           avg(CASE WHEN fa.inverted THEN 6 - a.score ELSE a.score END) AS score
    FROM latest l
    JOIN maturity_answer a ON a.assessment_id = l.id
    JOIN factor fa ON fa.key = a.factor_key
    WHERE a.score IS NOT NULL
    GROUP BY l.account_id, fa.pillar, fa.weight
), cmi AS MATERIALIZED (
    SELECT account_id, sum(score * weight) / sum(weight) AS cmi FROM pillar GROUP BY account_id
)
UPDATE accounts_account AS t
SET cmi = c.cmi, cmi_tier = tier.name, cmi_updated_at = now()
FROM cmi c JOIN tier  -- a hair below a threshold has reached it, as in maturity.scoring
    ON c.cmi + 1e-9 >= tier.lower AND (tier.upper IS NULL OR c.cmi + 1e-9 < tier.upper)
WHERE t.id = c.account_id
"""


def seed(count: int, reuse: bool):

    from accounts.models import Account
    from tenancy.context import organization_lookup_context, tenant_context
    from tenancy.models import Organization

    slug = f"recompute-{count}"
    with organization_lookup_context(slug):
        existing = Organization.objects.filter(slug=slug).first()
    if existing and reuse:
        with tenant_context(existing.id):
            reusable = Account.objects.count() == count
        if reusable:
            step(f"reusing organization {slug} ({count:,} accounts)")
            # Rewritten as a fresh seed would be, at the table's current fillfactor (a seed
            # made before migration accounts 0009 has full pages).
            owner_run("VACUUM FULL accounts_account")
            return existing
    slug = unique(slug) if existing else slug
    started = step(f"seeding {count:,} accounts in organization {slug}")
    organization = tenant_seed(slug, count, score=None, metrics=METRICS)
    step(f"  seeded in {time.perf_counter() - started:.0f} s")
    return organization


def reset(organization, *, everything: bool) -> None:
    """Clear the derived columns (the CMI only, or everything) and vacuum, as after a deploy."""
    from tenancy.context import tenant_context

    with tenant_context(organization.id):
        if everything:
            execute("DELETE FROM segments_tiermigration")
            execute("DELETE FROM health_healthsnapshot")
            execute("DELETE FROM recompute_recomputerequest")
            execute("DELETE FROM recompute_recomputepart")
            execute(
                """UPDATE accounts_account SET cmi = NULL, cmi_tier = '', cmi_updated_at = NULL,
                     chs = NULL, chs_level = '', chs_completeness = NULL, chs_stale = false,
                     chs_overridden = false, chs_trend_30 = NULL, chs_updated_at = NULL,
                     segment = '', segment_updated_at = NULL"""
            )
        else:
            execute("UPDATE accounts_account SET cmi = NULL, cmi_tier = '', cmi_updated_at = NULL")
    owner_run(
        "VACUUM ANALYZE accounts_account",
        "VACUUM ANALYZE segments_tiermigration",
        "VACUUM ANALYZE health_healthsnapshot",
        "ANALYZE maturity_assessment",
        "ANALYZE maturity_answer",
        "ANALYZE health_metricvalue",
        "ANALYZE health_metriclatest",
    )


def stored_cmi(organization):
    from accounts.models import Account
    from core.frames import frame_read
    from tenancy.context import tenant_context

    with tenant_context(organization.id):
        return frame_read(
            Account.objects.order_by().values_list("pk", "cmi", "cmi_tier"),
            columns=["account", "cmi", "cmi_tier"],
            dtypes={"account": "int64", "cmi": "float64"},
            text=["cmi_tier"],
        ).set_index("account")


def in_parts(organization, count: int) -> tuple[float, float]:
    """Time a tenant-wide recompute requested through the outbox and done by a real worker,
    until its last part commits; returns (seconds, the worker's peak RSS in MiB)."""
    from recompute.models import RecomputePart, RecomputeRequest
    from recompute.services import recompute_enqueue
    from segments.models import TierMigration
    from tenancy.context import tenant_context

    with Served(web=False) as served:
        started = time.perf_counter()
        with tenant_context(organization.id):  # committed, then the worker is nudged
            recompute_enqueue(organization=organization, account_ids=None)
        while True:
            time.sleep(0.2)
            with tenant_context(organization.id):
                if not (RecomputeRequest.objects.exists() or RecomputePart.objects.exists()):
                    break
        seconds = time.perf_counter() - started
        peak = served.peak_rss_mib()
    with tenant_context(organization.id):
        written = TierMigration.objects.count()
    if written != count:
        raise SystemExit(f"{written:,} migrations for {count:,} accounts")
    return seconds, peak


def timed(organization, function) -> float:
    from tenancy.context import tenant_context

    started = time.perf_counter()
    with tenant_context(organization.id):
        function()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier seed of this size")
    options = parser.parse_args()
    setup()
    from maturity.models import Framework
    from recompute.pipeline import accounts_recompute
    from tenancy.context import tenant_context

    organization = seed(options.accounts, options.reuse)
    with tenant_context(organization.id):
        framework = Framework.objects.get(is_primary=True)
        params = {
            "versions": list(framework.versions.values_list("pk", flat=True)),
            "version": framework.current_version_id,
        }

    reset(organization, everything=True)
    step("baseline: one SQL statement computes and writes every CMI")
    baseline = timed(organization, lambda: execute(BASELINE, params))
    expected = stored_cmi(organization)
    step(f"  {baseline:.1f} s")

    reset(organization, everything=False)
    step('ours, CMI part: accounts_recompute(redo={"cmi"})')
    cmi = timed(organization, lambda: accounts_recompute(redo={"cmi"}))
    got = stored_cmi(organization)
    step(f"  {cmi:.1f} s")
    got, expected = got.sort_index(), expected.sort_index()
    assert len(got) == options.accounts and not expected["cmi"].isna().any()
    differ = (got["cmi"] - expected["cmi"]).abs().gt(1e-9) | got["cmi_tier"].ne(
        expected["cmi_tier"]
    )
    if differ.any():
        raise SystemExit(f"{int(differ.sum())} accounts differ from the baseline: {got[differ]}")

    reset(organization, everything=True)
    step("ours, whole, in this process: accounts_recompute() (CMI, CHS, cell, migration)")
    moved = []
    whole = timed(organization, lambda: moved.append(accounts_recompute().moved))
    step(f"  {whole:.1f} s, {moved[0]:,} accounts moved cell")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    reset(organization, everything=True)
    step("ours, whole, as the app runs it: outbox, worker, parts in parallel")
    parallel, worker_peak = in_parts(organization, options.accounts)
    step(f"  {parallel:.1f} s, peak RSS of a worker process {worker_peak:.0f} MiB")

    result = {
        "accounts": options.accounts,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PostgreSQL on loopback",
        "baseline_sql_cmi_seconds": round(baseline, 2),
        "ours_cmi_seconds": round(cmi, 2),
        "cmi_ours_over_baseline": round(cmi / baseline, 2),
        "cmi_identical_to_baseline": True,
        "ours_whole_in_one_process_seconds": round(whole, 2),
        "moved": moved[0],
        "peak_rss_mib": round(peak),
        "ours_whole_by_the_worker_seconds": round(parallel, 2),
        "whole_accounts_per_second": round(options.accounts / parallel),
        "worker_peak_rss_mib": round(worker_peak),
        "targets": {"cmi_ratio": "<= 1.5", "whole_seconds": "< 60", "peak_rss_mib": "< 4096"},
    }
    print(json.dumps(result, indent=2))
    result_write("recompute", result)


if __name__ == "__main__":
    main()
