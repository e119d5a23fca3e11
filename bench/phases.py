"""Where a part of the whole recompute spends its time: each phase's wall and Python CPU time.

    .venv/bin/python bench/phases.py [--accounts 1000000] [--parts 2] [--reset] [--immediate]

Needs the tenant that `bench/tenant_recompute.py` seeds (recompute-N, N accounts). Runs
`recompute.pipeline.accounts_recompute()` over the first parts (RECOMPUTE_PART_ACCOUNTS
accounts each, as the worker would), one after the other in one transaction, then rolls it
back: the tenant is left as it was, so runs compare. `--reset` first clears the derived
columns, snapshots and migrations as bench 1 does, so that every account changes, as there;
on a tenant recomputed already, little is written.

Each phase is timed by wrapping the function that does it; a phase's wall time minus its
Python CPU time is, to a close approximation, the time PostgreSQL worked for it. Phases nest
(cmi_compute contains latest_answers and the scoring). The foreign key checks of the
snapshots and migrations are deferred to commit, which a rollback never reaches: they are
timed apart, by running the same statements with the constraints immediate
(`--immediate`), which moves their cost into the insert phases.
"""

import argparse
import collections
import functools
import time

from common import result_write, setup, step

PHASES = {
    "recompute.pipeline": ["accounts_locked", "accounts_write"],
    "maturity.provider": ["latest_answers"],
    "maturity.scoring": ["score_frame"],
    "health.provider": [
        "compute",
        "latest_values",
        "active_overrides",
        "scores_before",
        "snapshot_write",
    ],
    "health.scoring": ["score_frame"],
    "segments.provider": ["migrations_write"],
}


def timers(totals: dict) -> None:
    """Wrap each phase's function where the pipeline looks it up, adding to `totals`."""
    import importlib

    for module_name, names in PHASES.items():
        module = importlib.import_module(module_name)
        for name in names:
            label = f"{module_name.split('.')[0]}.{name}"
            setattr(module, name, _timed(getattr(module, name), totals[label]))


def _timed(function, total: list):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - wall
            total[1] += time.process_time() - cpu

    return timed


class RolledBack(Exception):
    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--reset", action="store_true", help="clear what bench 1 clears first")
    parser.add_argument("--immediate", action="store_true", help="check foreign keys per row")
    options = parser.parse_args()
    setup()
    from django.conf import settings
    from django.db import connection, transaction

    from recompute import pipeline
    from recompute.accounts import account_ranges
    from tenancy.context import organization_lookup_context, tenant_context
    from tenancy.models import Organization

    with organization_lookup_context(f"recompute-{options.accounts}"):
        organization = Organization.objects.get(slug=f"recompute-{options.accounts}")
    if options.reset:
        from tenant_recompute import reset

        step("clearing the derived columns, snapshots and migrations")
        reset(organization, everything=True)
    totals = collections.defaultdict(lambda: [0.0, 0.0])
    timers(totals)
    step(f"{options.parts} parts of {settings.RECOMPUTE_PART_ACCOUNTS:,} accounts, rolled back")
    try:
        with tenant_context(organization.id), transaction.atomic():
            if options.immediate:
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            ranges = account_ranges(settings.RECOMPUTE_PART_ACCOUNTS)[: options.parts]
            wall, cpu = time.perf_counter(), time.process_time()
            moved = sum(pipeline.accounts_recompute(between=bounds).moved for bounds in ranges)
            totals["whole part"] = [time.perf_counter() - wall, time.process_time() - cpu]
            raise RolledBack
    except RolledBack:
        pass
    parts = len(ranges)
    rows = {
        label: {
            "wall_seconds": round(wall / parts, 2),
            "python_cpu_seconds": round(cpu / parts, 2),
            "database_seconds": round(max(wall - cpu, 0) / parts, 2),
        }
        for label, (wall, cpu) in sorted(totals.items(), key=lambda item: -item[1][0])
    }
    print(f"per part ({parts} parts, {moved:,} accounts moved cell)")
    print(f"{'phase':32} {'wall':>7} {'python':>7} {'database':>9}")
    for label, row in rows.items():
        figures = row["wall_seconds"], row["python_cpu_seconds"], row["database_seconds"]
        print(f"{label:32} {figures[0]:7.2f} {figures[1]:7.2f} {figures[2]:9.2f}")
    result_write(
        "phases" + ("-immediate" if options.immediate else ""),
        {"accounts": options.accounts, "parts": parts, "moved": moved, "per_part": rows},
    )


if __name__ == "__main__":
    main()
