"""Bulk upsert of accounts through the API against one SQL statement writing the same rows.

    .venv/bin/python bench/bulk_upsert.py [--items 1000] [--rounds 5] [--profile]

In one process and one run: `POST /api/v1/accounts/bulk/` with `--items` accounts (through
Django's test client: parsing, validation, the write, the response), first as creations, then
as updates of the same external ids, `--rounds` times each with fresh ids; and, as the
baseline, a single `INSERT … ON CONFLICT (organization_id, external_id) DO UPDATE` of the same
rows from Python values. Then the API's rounds again with the changes feed's trigger off
(accounts' migration 0025), for what the trigger costs. Prints medians, rows/s and the ratio
to the baseline; writes bench/results/bulk_upsert.json.
"""

import argparse
import cProfile
import json
import pstats
import statistics
import time

from common import execute, owner_run, result_write, setup, step, unique


def items(prefix: str, count: int, arr: int) -> list[dict]:
    return [
        {
            "external_id": f"{prefix}-{n}",
            "name": f"Bulk {n}",
            "industry": "Software",
            "region": "EMEA",
            "arr": f"{arr + n}.00",
            "renewal_date": "2027-06-30",
            "lifecycle_stage": "adoption",
        }
        for n in range(count)
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from tenancy.context import tenant_context
    from tenancy.services import api_key_create, organization_create, user_get_or_create

    slug = unique("bulk")
    owner, _ = user_get_or_create(email=f"{slug}@bench.local", password=slug)
    organization = organization_create(name=slug, slug=slug, owner=owner)
    with tenant_context(organization.id):
        key = api_key_create(organization=organization, name="bench")[1]
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def post(body):
        response = client.post("/api/v1/accounts/bulk/", body, content_type="application/json")
        assert response.status_code == 200, response.content[:500]
        return response.json()

    def baseline(rows):
        moment = timezone.now()
        values = [
            (
                r["name"],
                r["external_id"],
                r["industry"],
                "",
                "",
                r["region"],
                r["lifecycle_stage"],
                r["arr"],
                r["renewal_date"],
                moment,
                moment,
                str(organization.id),
                "",
                "",
                False,
                False,
                "",
            )
            for r in rows
        ]
        placeholders = ",".join(["(" + ",".join(["%s"] * 17) + ")"] * len(values))
        with tenant_context(organization.id), connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO accounts_account (name, external_id, industry, isic_code,
                      size_band, region, lifecycle_stage, arr, renewal_date, created_at,
                      updated_at, organization_id, cmi_tier, chs_level, chs_overridden,
                      chs_stale, segment)
                    VALUES {placeholders}
                    ON CONFLICT (organization_id, external_id) DO UPDATE SET
                      name = EXCLUDED.name, industry = EXCLUDED.industry,
                      region = EXCLUDED.region, lifecycle_stage = EXCLUDED.lifecycle_stage,
                      arr = EXCLUDED.arr, renewal_date = EXCLUDED.renewal_date,
                      updated_at = EXCLUDED.updated_at
                    RETURNING id""",
                [v for row in values for v in row],
            )
            return len(cursor.fetchall())

    def timed(action, *args):
        start = time.perf_counter()
        action(*args)
        return (time.perf_counter() - start) * 1000

    post(items("warm", 50, 1))
    baseline(items("warm-sql", 50, 1))
    api_create, api_update, sql_create, sql_update = [], [], [], []
    bare_create, bare_update = [], []  # the API with the changes feed's trigger off

    def feed_trigger(state: str) -> None:
        owner_run(
            *(
                f"ALTER TABLE accounts_account {state} TRIGGER accounts_change_position_{event}"
                for event in ("insert", "update")
            )
        )

    profiler = cProfile.Profile()
    for round_ in range(options.rounds):
        step(f"round {round_ + 1} of {options.rounds}")
        body = items(f"r{round_}", options.items, 1000)
        if options.profile and round_ == 0:
            profiler.runcall(post, body)
            api_create.append(timed(post, items(f"p{round_}", options.items, 1000)))
        else:
            api_create.append(timed(post, body))
        api_update.append(timed(post, items(f"r{round_}", options.items, 2000)))
        rows = items(f"s{round_}", options.items, 1000)
        sql_create.append(timed(baseline, rows))
        sql_update.append(timed(baseline, items(f"s{round_}", options.items, 2000)))
    # Then the same rounds with the trigger off, after all of the above: an ALTER TABLE
    # invalidates the table's cached plans and relation data, so toggling it inside each round
    # slowed the rounds around it, with the trigger and without alike.
    feed_trigger("DISABLE")
    try:
        post(items("warm-bare", 50, 1))
        for round_ in range(options.rounds):
            step(f"without the feed trigger: round {round_ + 1} of {options.rounds}")
            bare_create.append(timed(post, items(f"b{round_}", options.items, 1000)))
            bare_update.append(timed(post, items(f"b{round_}", options.items, 2000)))
    finally:
        feed_trigger("ENABLE")
    if options.profile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    execute("SELECT 1")
    result = {
        "items": options.items,
        "rounds": options.rounds,
        "api_create_ms": statistics.median(api_create),
        "api_update_ms": statistics.median(api_update),
        "sql_create_ms": statistics.median(sql_create),
        "sql_update_ms": statistics.median(sql_update),
        "api_create_without_feed_trigger_ms": statistics.median(bare_create),
        "api_update_without_feed_trigger_ms": statistics.median(bare_update),
    }
    for kind in ("create", "update"):
        result[f"api_{kind}_rows_per_s"] = round(options.items / result[f"api_{kind}_ms"] * 1000)
        result[f"{kind}_ratio_to_sql"] = round(
            result[f"api_{kind}_ms"] / result[f"sql_{kind}_ms"], 1
        )
    print(json.dumps(result, indent=2))
    print("written to", result_write("bulk_upsert", result))


if __name__ == "__main__":
    main()
