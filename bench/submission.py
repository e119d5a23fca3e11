"""One submission's two costs, in one process and idle: the API POST (through Django's test
client) and the drain that recomputes its account (run eagerly, as the worker would).

    .venv/bin/python bench/submission.py [--count 60] [--profile drain|post]

Seeds a tenant of 500 accounts (every answer 1, NPS 50), then for `--count` accounts posts an
assessment answering 5 everywhere and drains it. Prints the medians of wall time and of this
process's CPU time, and the queries each issues; writes bench/results/submission.json. The
steps of bench/README.md's "Submission → segment" were measured with it. `--profile` runs one
of the two under cProfile and prints where its time goes, by own time and by cumulative time.
"""

import argparse
import cProfile
import json
import pstats
import statistics
import time

from common import result_write, setup, step, tenant_seed, unique


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--profile", choices=["drain", "post"])
    options = parser.parse_args()
    setup()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client

    import recompute.services
    import recompute.tasks
    from accounts.models import Account
    from maturity.models import Factor
    from recompute.pipeline import accounts_recompute
    from tenancy.context import tenant_context
    from tenancy.services import api_key_create

    step("seeding 500 accounts")
    organization = tenant_seed(unique("submission"), 500, score=1, metrics={"nps": ("50", None)})
    with tenant_context(organization.id):
        accounts_recompute()
        key = api_key_create(organization=organization, name="bench")[1]
        answers = {k: 5 for k in Factor.objects.values_list("key", flat=True)}
        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    recompute.services.nudge = lambda *args, **kwargs: None  # drained below, one at a time

    def post(pk):
        body = {"account": pk, "answers": answers}
        response = client.post("/api/v1/assessments/", body, content_type="application/json")
        assert response.status_code == 201, response.content

    def drain():
        recompute.tasks.drain.apply(args=[str(organization.id)], throw=True)

    def timed(action, pk, into):
        wall, cpu = time.perf_counter(), time.process_time()
        action(pk)
        into.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))

    for pk in ids[:3]:  # warm-up: imports, plans, caches
        post(pk)
        drain()
    posts, drains = [], []
    profiler = cProfile.Profile()
    profiled = {options.profile: profiler.runcall} if options.profile else {}
    for pk in ids[3 : 3 + options.count]:
        timed(lambda pk: profiled.get("post", lambda f, *a: f(*a))(post, pk), pk, posts)
        timed(lambda _: profiled.get("drain", lambda f: f())(drain), pk, drains)
    if options.profile:
        for order in ("tottime", "cumulative"):
            pstats.Stats(profiler).sort_stats(order).print_stats(30)
    settings.DEBUG = True  # count queries
    reset_queries()
    post(ids[3 + options.count])
    post_queries = len(connection.queries)
    reset_queries()
    drain()
    drain_queries = len(connection.queries)

    def medians(samples):
        return {
            "wall_ms": round(statistics.median(s[0] for s in samples), 1),
            "cpu_ms": round(statistics.median(s[1] for s in samples), 1),
        }

    result = {
        "count": options.count,
        "post": medians(posts) | {"queries": post_queries},
        "drain": medians(drains) | {"queries": drain_queries},
    }
    print(json.dumps(result, indent=2))
    result_write("submission", result)


if __name__ == "__main__":
    main()
