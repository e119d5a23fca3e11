"""How the CHS recompute's read grows with metric history.

    .venv/bin/python bench/history.py [--accounts 10000] [--days 30]

Seeds a tenant with one value per metric for each account (as bench 1 does), times reading
every account's latest values (`health.provider.latest_values`) and the whole CHS
computation (`health.provider.compute`), then adds `--days - 1` older daily values per
metric, as a CRM sync would over that many days, and times both again. Prints both timings
(best of three) and their ratio; writes bench/results/history.json.

The read used to pick the latest row of each (account, metric) from every stored value with
DISTINCT ON: 7–8× slower with 30 days. It reads MetricLatest now, one row per (account,
metric) whatever the history (bench/README.md, "Issue 8, fourth session").
"""

import argparse
import time

from common import execute, owner_run, result_write, setup, step, tenant_seed, unique
from tenant_recompute import METRICS


def timings(organization) -> dict:
    from health.provider import card_current, compute, latest_values
    from recompute.accounts import account_chunks
    from tenancy.context import tenant_context

    with tenant_context(organization.id):
        (chunk,) = account_chunks(None, 1_000_000)
        card = card_current()
        metrics = {measure.metric for measure in card.measures}
        reads, computes = [], []
        for _ in range(3):
            started = time.perf_counter()
            latest_values(chunk, metrics)
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            compute(chunk, card=card)
            computes.append(time.perf_counter() - started)
    return {"read_seconds": round(min(reads), 2), "compute_seconds": round(min(computes), 2)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    options = parser.parse_args()
    setup()
    from tenancy.context import tenant_context

    organization = tenant_seed(unique("history"), options.accounts, score=None, metrics=METRICS)
    one = timings(organization)
    step(f"one value per metric: {one}")
    with tenant_context(organization.id):
        added = execute(
            """INSERT INTO health_metricvalue (metric, number, text, observed_at, source,
                 created_at, account_id, organization_id)
               SELECT m.metric, m.number, m.text, m.observed_at - d * interval '1 day', m.source,
                 m.created_at, m.account_id, m.organization_id
               FROM health_metricvalue m CROSS JOIN generate_series(1, %s) AS d""",  # RLS: ours
            [options.days - 1],
        )
    owner_run("VACUUM ANALYZE health_metricvalue", "VACUUM ANALYZE health_metriclatest")
    many = timings(organization)
    step(f"{options.days} daily values per metric ({added:,} rows added): {many}")
    result = {
        "accounts": options.accounts,
        "days": options.days,
        "one_value": one,
        "daily_values": many,
        "read_ratio": round(many["read_seconds"] / one["read_seconds"], 1),
        "compute_ratio": round(many["compute_seconds"] / one["compute_seconds"], 1),
    }
    step(f"read {result['read_ratio']}×, CHS computation {result['compute_ratio']}× slower")
    result_write("history", result)


if __name__ == "__main__":
    main()
