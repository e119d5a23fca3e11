"""What the bench scripts share: the bench database, timestamps on progress lines, a tenant
seeded in SQL, and a served stack (gunicorn and a Celery worker) on spare loopback ports."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "DATABASE_URL": "postgres://ascend_app@127.0.0.1:5432/ascend_bench",
    "DATABASE_OWNER_URL": "postgres://ascend_owner@127.0.0.1:5432/ascend_bench",
    "DJANGO_DEBUG": "false",
}
for _name, _value in BENCH_ENV.items():
    os.environ.setdefault(_name, _value)


def setup() -> None:
    """The bench database with the app's roles, migrated, and Django ready."""
    subprocess.run(
        [str(ROOT / "scripts" / "setup-postgres.sh")],
        check=True,
        env={**os.environ, "ASCEND_DB_NAME": "ascend_bench"},
        stdout=subprocess.DEVNULL,
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def result_write(name: str, result: dict) -> Path:
    """Write a bench's figures to bench/results/<name>.json."""
    import json

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def step(message: str) -> float:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)
    return time.perf_counter()


def execute(sql: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def owner_run(*statements: str) -> None:
    """VACUUM and ANALYZE need the tables' owner, outside a transaction."""
    import psycopg

    url = os.environ["DATABASE_OWNER_URL"].replace("postgres://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def percentile(values, share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def tenant_seed(slug: str, accounts: int, *, score: int | None, metrics: dict):
    """A fresh organization with the CMI framework, the active CHS scorecard and `accounts`
    accounts (external ids A0…), written with INSERT … SELECT: each with a submitted
    assessment answering `score` everywhere (random 1-5 when None) and a value of each of
    `metrics` (metric → (SQL of its number, or None and a list of texts to draw from)).
    Derived scores are left empty. Returns the organization."""
    from django.utils import timezone

    from health.models import Scorecard
    from health.services import scorecard_create_from_template
    from maturity.services import framework_create_from_template
    from tenancy.context import tenant_context
    from tenancy.services import organization_create, user_get_or_create

    owner, _ = user_get_or_create(email=f"{slug}@bench.local", password=uuid.uuid4().hex)
    organization = organization_create(name=slug, slug=slug, owner=owner)
    org = str(organization.id)
    with tenant_context(organization.id):
        framework = framework_create_from_template(
            organization=organization, template="cmi", primary=True
        )
        scorecard_create_from_template(organization=organization, template="chs", activate=False)
        version = framework.current_version
        keys = list(version.pillars.values_list("factors__key", flat=True))
        moment = timezone.now()
        execute("SELECT setseed(0.42)")
        execute(
            """INSERT INTO accounts_account (name, external_id, industry, isic_code, size_band,
                 region, lifecycle_stage, arr, created_at, updated_at, organization_id,
                 cmi_tier, chs_level, chs_overridden, chs_stale, segment)
               SELECT 'Bench ' || n, 'A' || n, '', '', '', '', 'adoption', 0, %s, %s, %s, '',
                 '', false, false, ''
               FROM generate_series(0, %s - 1) AS n""",
            [moment, moment, org, accounts],
        )
        step("  accounts written; assessments")
        execute(
            """INSERT INTO maturity_assessment (status, created_at, submitted_at, tier,
                 pillar_scores, is_partial, unscored_comments, account_id, organization_id,
                 version_id)
               SELECT 'submitted', %s, %s - interval '1 day', '', '{}', false, '{}', a.id, %s,
                 %s
               FROM accounts_account a""",
            [moment, moment, org, version.id],
        )
        step("  assessments written; answers")
        answer = "1 + floor(random() * 5)::int" if score is None else str(int(score))
        execute(
            f"""INSERT INTO maturity_answer (factor_key, score, comment, organization_id,
                  assessment_id)
                SELECT k, {answer}, '', %s, s.id
                FROM maturity_assessment s CROSS JOIN unnest(%s::text[]) AS k""",
            [org, keys],
        )
        step("  answers written; metric values")
        for metric, (number, choices) in metrics.items():
            text = f"(%s::text[])[1 + floor(random() * {len(choices)})::int]" if choices else "''"
            execute(
                f"""INSERT INTO health_metricvalue (metric, number, text, observed_at, source,
                      created_at, account_id, organization_id)
                    SELECT %s, {number or "NULL"}, {text}, %s - interval '1 day', 'api', %s,
                      a.id, %s
                    FROM accounts_account a""",
                [metric, *([choices] if choices else []), moment, moment, org],
            )
        Scorecard.objects.update(is_active=True)
    step("  analyzing, as autovacuum would")
    owner_run(*(f"ANALYZE {table}" for table in SEEDED))
    return organization


SEEDED = [
    "accounts_account",
    "maturity_assessment",
    "maturity_answer",
    "health_metricvalue",
    "health_metriclatest",  # written by the trigger on health_metricvalue
]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Served:
    """gunicorn and a Celery worker (either may be left out) serving the bench database, on
    a spare port, with the machine's Redis (databases 13 and 14) as broker and cache."""

    BROKER = {
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
        "CACHE_URL": "rediscache://127.0.0.1:6379/14",
    }

    def __init__(
        self, *, workers: int = 3, web: bool = True, celery: bool = True, env: dict | None = None
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **BENCH_ENV, **self.BROKER, **(env or {})}
        self.workers, self.web, self.celery, self.processes = workers, web, celery, []
        self.logs = Path("/tmp") / f"ascend-bench-{self.port}"

    def __enter__(self):
        self.logs.mkdir(exist_ok=True)
        python = sys.executable
        bind = f"127.0.0.1:{self.port}"
        if self.web:
            web = ["gunicorn", "config.wsgi", "-w", str(self.workers), "-b", bind]
            self._start("web", [python, "-m", *web, "--timeout", "60", "--log-level", "warning"])
        if self.celery:
            worker = ["celery", "-A", "config", "worker", "--concurrency=2", "--without-gossip"]
            name = f"bench-{self.port}@%h"
            options = ["--without-mingle", "--loglevel=INFO", "-n", name]
            self._start("worker", [python, "-m", *worker, *options])
        deadline = time.time() + 30
        while self.web and not listening(self.port):
            if time.time() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {self.logs}")
            time.sleep(0.2)
        if self.celery:
            time.sleep(3)  # the worker connects to the broker
        return self

    def _start(self, name, args):
        log = open(self.logs / f"{name}.log", "a")  # noqa: SIM115
        self.processes.append(
            subprocess.Popen(
                args,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def peak_rss_mib(self) -> float:
        """The largest peak resident set among the served processes and their children."""
        groups = {process.pid for process in self.processes}
        peaks = [0.0]
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
                if os.getpgid(int(status.parent.name)) in groups and "VmHWM" in fields:
                    peaks.append(int(fields["VmHWM"].split()[0]) / 1024)
            except (OSError, ValueError):
                continue  # a process that ended meanwhile
        return max(peaks)

    def __exit__(self, *exc):
        for process in self.processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=30)
