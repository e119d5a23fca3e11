"""Bench 3 of issue 8: the API under load, against a trivial DRF view served beside it.

    .venv/bin/python bench/api_load.py [--accounts 10000] [--seconds 10] [--rounds 3]
                                       [--connections 8]

Serves the app with gunicorn (4 sync workers) and a Celery worker (the recomputes that
submissions ask for run during the load, as in production) on the machine's PostgreSQL and
Redis (the rate limit raised out of reach), with bench/settings.py adding /bench/ping/: a DRF
view with the API's authentication, tenant context and permission that answers a constant.
wrk (Debian's `wrk`, 2 threads, --connections keep-alive connections, bench/wrk.lua) drives
each endpoint for --seconds after a 3 s warm-up, in --rounds interleaved rounds: the baseline,
the account list (100 and 25 per page), an account's detail and the grid summary; then
assessment create once. Prints each endpoint's median round (requests/s, p95) and its ratio to
the baseline's median; writes bench/results/api_load.json.
"""

import argparse
import json
import os
import shutil
import subprocess

from common import ROOT, Served, result_write, setup, step, tenant_seed, unique
from tenant_recompute import METRICS

WRK = shutil.which("wrk")


def wrk(url: str, key: str, seconds: float, connections: int, body: str | None = None) -> dict:
    env = {**os.environ, "WRK_KEY": key}
    if body:
        env |= {"WRK_METHOD": "POST", "WRK_BODY": body}
    args = [WRK, "-t2", f"-c{connections}", "-s", str(ROOT / "bench" / "wrk.lua"), url]
    subprocess.run([*args[:3], "-d3s", *args[3:]], env=env, capture_output=True, check=True)
    output = subprocess.run(
        [*args[:3], f"-d{seconds:g}s", *args[3:]],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    return {
        "requests_per_second": round(figures["requests"] / (figures["duration_us"] / 1e6), 1),
        "p50_ms": round(figures["p50_us"] / 1000, 1),
        "p95_ms": round(figures["p95_us"] / 1000, 1),
        "p99_ms": round(figures["p99_us"] / 1000, 1),
        "requests": figures["requests"],
        "errors": figures["non_2xx"] + figures["socket_errors"],
    }


def median_run(runs: list[dict]) -> dict:
    """The run of median throughput, with every run's throughput beside it."""
    ordered = sorted(runs, key=lambda figures: figures["requests_per_second"])
    return {
        **ordered[len(ordered) // 2],
        "rounds_requests_per_second": [f["requests_per_second"] for f in runs],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if not WRK:
        raise SystemExit("wrk is missing: `make bench-deps` (or apt-get install wrk)")
    setup()
    from accounts.models import Account
    from maturity.models import Factor
    from recompute.pipeline import accounts_recompute
    from tenancy.context import tenant_context
    from tenancy.services import api_key_create

    step(f"seeding {options.accounts:,} accounts")
    organization = tenant_seed(unique("api-load"), options.accounts, score=None, metrics=METRICS)
    with tenant_context(organization.id):
        accounts_recompute()
        key = api_key_create(organization=organization, name="bench")[1]
        account = Account.objects.order_by("pk").values_list("pk", flat=True)[options.accounts // 2]
        answers = {factor: 4 for factor in Factor.objects.values_list("key", flat=True)}
    body = json.dumps({"account": account, "answers": answers})
    endpoints = [
        ("baseline: trivial DRF view", "/bench/ping/", None),
        ("account list (100 per page)", "/api/v1/accounts/", None),
        ("account list (25 per page)", "/api/v1/accounts/?page_size=25", None),
        ("account detail", f"/api/v1/accounts/{account}/", None),
        ("grid summary", "/api/v1/segments/grid/", None),
    ]
    # Last: the recomputes it asks for run on after wrk stops, and would slow what follows.
    create = ("assessment create", "/api/v1/assessments/", body)
    runs = {name: [] for name, _, _ in [*endpoints, create]}
    # The rate limit stays on (its cache round trip is part of every call) but out of reach.
    env = {"DJANGO_SETTINGS_MODULE": "bench.settings", "API_RATE_LIMIT": "1000000/s"}
    with Served(workers=4, env=env) as served:
        rounds = [endpoints] * options.rounds + [[create]]
        for number, round_ in enumerate(rounds, 1):
            for name, path, payload in round_:
                step(f"round {min(number, options.rounds)}, {name}: {path}")
                figures = wrk(served.url + path, key, options.seconds, options.connections, payload)
                print(f"  {json.dumps(figures)}", flush=True)
                if figures["errors"]:
                    raise SystemExit(f"{name}: {figures['errors']} errors; see {served.logs}")
                runs[name].append(figures)
    # Each endpoint's median round: the rounds interleave, so the VM's drift (±15% from one
    # minute to the next here) touches the baseline and the endpoints alike.
    results = {name: median_run(figures) for name, figures in runs.items()}
    baseline = results["baseline: trivial DRF view"]["requests_per_second"]
    for figures in results.values():
        figures["share_of_baseline"] = round(figures["requests_per_second"] / baseline, 2)
    report = {
        "machine": f"{os.cpu_count()} cores; gunicorn 4 sync workers, a Celery worker, "
        f"PostgreSQL and Redis on loopback; wrk 2 threads, {options.connections} connections",
        "accounts": options.accounts,
        "seconds_per_endpoint": options.seconds,
        "rounds": options.rounds,
        "baseline_requests_per_second": round(baseline, 1),
        "endpoints": results,
        "target": "account list >= 0.5 of the baseline",
    }
    print(f"{'endpoint':30s} {'req/s':>8s} {'p95 ms':>8s} {'× baseline':>10s}")
    for name, figures in results.items():
        print(
            f"{name:30s} {figures['requests_per_second']:8.1f} {figures['p95_ms']:8.1f} "
            f"{figures['share_of_baseline']:10.2f}"
        )
    result_write("api_load", report)


if __name__ == "__main__":
    main()
