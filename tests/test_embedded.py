"""`make demo`'s path, the embedded default: SQLite, tasks in-process, no broker, no Redis.

Run in subprocesses with none of the suite's environment, so a break of the demo (a
PostgreSQL-only statement, a task that needs a worker, a migration SQLite cannot run) fails
here rather than on a newcomer's first command."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = """
import json
from django.test import Client
from accounts.models import Account
from tenancy.context import tenant_context
from tenancy.models import Organization, User
from tenancy.context import organization_lookup_context

with organization_lookup_context("demo"):
    organization = Organization.objects.get(slug="demo")
with tenant_context(organization.id):
    account = Account.objects.exclude(segment="").order_by("pk").first()
    placed = Account.objects.exclude(segment="").count()
client = Client()
client.force_login(User.objects.get(email="manager@demo.ascend.local"))
pages = {}
for url in [
    "/segments/",
    f"/accounts/{account.pk}/",
    "/api/v1/accounts/",
    "/maturity/frameworks/",
    "/org/audit/",
    "/api/v1/audit-events/",
    "/outcomes/lab/scorecard/",
    "/api/v1/accounts/changes/?limit=1000",
]:
    response = client.get(url, HTTP_ACCEPT="application/json" if "/api/" in url else "text/html")
    pages[url] = [response.status_code, account.name in response.content.decode()]
print(json.dumps({"placed": placed, "pages": pages, "account": account.pk}))
"""


def embedded_env(tmp_path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CELERY_", "CACHE_", "DJANGO_"))
    }
    # The default file is the developer's own demo database: this one is the test's.
    return env | {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}


def run(args, env):
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_demo_migrates_seeds_and_serves_on_sqlite_with_tasks_in_process(tmp_path):
    env = embedded_env(tmp_path)
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput"], env)
    seeded = run([*manage, "seed_demo", "--accounts", "40"], env)
    assert "has 40 accounts" in seeded
    result = json.loads(run([*manage, "shell", "-c", PAGES], env).strip().splitlines()[-1])
    assert result["placed"] > 0  # the production recompute placed the demo's accounts
    account = result["account"]
    pages = result["pages"]
    assert {url: status for url, (status, _) in pages.items()} == {
        "/segments/": 200,
        f"/accounts/{account}/": 200,
        "/api/v1/accounts/": 200,
        "/maturity/frameworks/": 200,
        "/org/audit/": 200,  # saying that SQLite records no audit trail
        "/api/v1/audit-events/": 200,
        "/outcomes/lab/scorecard/": 200,
        "/api/v1/accounts/changes/?limit=1000": 200,  # with no positions: everything, always
    }
    assert pages[f"/accounts/{account}/"][1] and pages["/api/v1/accounts/"][1]  # it shows
    assert pages["/api/v1/accounts/changes/?limit=1000"][1]
