"""Faults, on a stack of our own: a redis-server, gunicorn and a Celery worker (with beat) on
spare loopback ports, so the machine's shared Redis is never stopped.

Redis is stopped in the middle of 200 assessment submissions through the API: every one is
still accepted and stored, and once Redis is back every account ends with the CMI of its last
submission, the outbox empty.

The worker runs the pool production runs (prefork, two processes, beat embedded). It is
supervised as docker-compose.yml runs it (`restart: unless-stopped`), and the supervisor counts
its restarts: the broker-restart test asserts there were none. (kombu 5.7.0 exits the prefork
worker when Redis restarts while it holds messages, hence the pin to 5.6 in pyproject.toml.)
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from itertools import pairwise
from pathlib import Path

import pytest

from accounts.models import Account
from integrations.models import WebhookDelivery
from maturity.models import Assessment
from recompute.models import RecomputePart, RecomputeRequest
from segments.models import TierMigration
from tenancy.services import api_key_create

from ..conftest import _worker_env, uniform, wait_for
from ..factories import AccountFactory
from ..recomputing import row_held

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    def __init__(self, tmp_path, env: dict | None = None, *, redis_persists: bool = False):
        self.redis_port, self.web_port = free_port(), free_port()
        self.redis_persists = redis_persists
        self.tmp = tmp_path
        self.env = _worker_env() | {
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CACHE_URL": f"rediscache://127.0.0.1:{self.redis_port}/1",
            "RECOMPUTE_SWEEP_SECONDS": "1",
            "WEBHOOK_RELAY_SECONDS": "1",
            "WEBHOOK_RELAY_GRACE_SECONDS": "1",
            "IMPORT_RELAY_SECONDS": "1",
            "IMPORT_RELAY_GRACE_SECONDS": "1",
            **(env or {}),
        }
        self.processes = {}
        self.lock = threading.Lock()
        self.restarts = 0
        self.running = True
        threading.Thread(target=self._supervise, daemon=True).start()

    def _supervise(self):
        """Restart a worker that exited by itself, as `restart: unless-stopped` does."""
        while self.running:
            with self.lock:
                worker = self.processes.get("worker")
                if self.running and worker is not None and worker.poll() is not None:
                    self.restarts += 1
                    self.worker_up()
            time.sleep(0.2)

    def start(self, name, args):
        log = open(self.tmp / f"{name}.log", "a")  # noqa: SIM115
        self.processes[name] = subprocess.Popen(  # a group of its own: beat runs as a child
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def redis_up(self):
        persistence = ["--appendonly", "yes", "--dir", str(self.tmp)] if self.redis_persists else []
        self.start(
            "redis", ["redis-server", "--port", str(self.redis_port), "--save", "", *persistence]
        )
        wait_for(lambda: _listening(self.redis_port), timeout=10)

    def redis_down(self):
        self.processes.pop("redis").terminate()
        wait_for(lambda: not _listening(self.redis_port), timeout=10)

    def up(self):
        self.redis_up()
        self.start(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-w",
                "2",
                "--timeout",
                "30",
                "-b",
                f"127.0.0.1:{self.web_port}",
            ],
        )
        self.worker_up()
        wait_for(lambda: _listening(self.web_port), timeout=30)

    def worker_up(self):
        self.start(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "--pool=prefork",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                "-s",
                str(self.tmp / "beat-schedule"),
                "-n",
                f"faults-{self.web_port}@%h",
            ],
        )

    def worker_kill(self):
        with self.lock:  # a worker killed on purpose is not restarted behind the test's back
            worker = self.processes.pop("worker")
            os.killpg(worker.pid, signal.SIGKILL)  # the worker and its beat, as a dying host would
            worker.wait(timeout=10)

    def scheduled(self) -> int | None:
        """How many countdown messages the worker holds, as `celery inspect scheduled` reports
        them; None while it does not answer."""
        asked = subprocess.run(
            [sys.executable, "-m", "celery", "-A", "config", "inspect", "scheduled", "-j"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if asked.returncode != 0:
            return None
        return sum(len(held) for held in json.loads(asked.stdout).values())

    def log(self, name) -> str:
        return (self.tmp / f"{name}.log").read_text()

    def down(self):
        with self.lock:
            self.running = False
        for process in self.processes.values():
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            process.wait(timeout=20)

    def post(self, path, key, body) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}{path}",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status


def _listening(port) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def stack(tmp_path, transactional_db):
    running = Stack(tmp_path)
    running.up()
    yield running
    running.down()


@pytest.fixture
def stack_in_parts(tmp_path, transactional_db):
    """A stack whose tenant-wide recomputes run in parts of 500 accounts, and whose sweep
    publishes again a part untaken for 2 s."""
    running = Stack(
        tmp_path,
        {"RECOMPUTE_PART_ACCOUNTS": "500", "RECOMPUTE_PART_REPUBLISH_SECONDS": "2"},
    )
    running.up()
    yield running
    running.down()


def last_submissions_scored(org, last: dict, in_tenant):
    """A predicate: every account has the CMI of its last submission (`last`: account id →
    CMI) and the outbox is empty."""

    def settled():
        """every account has the CMI of its last submission and the outbox is empty"""
        with in_tenant(org):
            cmis = dict(Account.objects.values_list("pk", "cmi"))
            return not RecomputeRequest.objects.exists() and cmis == last

    return settled


@pytest.mark.django_db(transaction=True)
def test_redis_stopped_during_200_submissions_loses_nothing(
    stack, org_a, cmi_framework, chs_card, in_tenant
):
    accounts = [AccountFactory(organization=org_a, name=f"Acct {n}") for n in range(20)]
    with in_tenant(org_a):
        key = api_key_create(organization=org_a, name="faults")[1]
    last = {}
    for n in range(200):
        if n == 60:
            stack.redis_down()
        if n == 140:
            stack.redis_up()
        account, score = accounts[n % 20], 1 + (n * 3) % 5
        status = stack.post(
            "/api/v1/assessments/", key, {"account": account.pk, "answers": uniform(score)}
        )
        assert status == 201, (
            f"submission {n} refused with Redis {'down' if 60 <= n < 140 else 'up'}"
        )
        last[account.pk] = float(score)

    wait_for(last_submissions_scored(org_a, last, in_tenant), timeout=60, interval=0.5)
    with in_tenant(org_a):
        assert Assessment.objects.filter(status="submitted").count() == 200


def bulk_placed(org, framework, count: int) -> None:
    """`count` accounts, each with an assessment of 3s and an NPS of 50, written in bulk."""
    from datetime import timedelta

    from django.utils import timezone

    from health.models import MetricValue
    from maturity.models import Answer

    version = framework.current_version
    keys = list(version.pillars.values_list("factors__key", flat=True))
    accounts = Account.objects.bulk_create(
        Account(organization=org, name=f"Bulk {n}") for n in range(count)
    )
    now = timezone.now() - timedelta(hours=1)
    assessments = Assessment.objects.bulk_create(
        Assessment(
            organization=org,
            account=account,
            version=version,
            status=Assessment.Status.SUBMITTED,
            submitted_at=now,
        )
        for account in accounts
    )
    Answer.objects.bulk_create(
        (
            Answer(organization=org, assessment=assessment, factor_key=key, score=3)
            for assessment in assessments
            for key in keys
        ),
        batch_size=20_000,
    )
    MetricValue.objects.bulk_create(
        (
            MetricValue(organization=org, account=account, metric="nps", number=50, observed_at=now)
            for account in accounts
        ),
        batch_size=20_000,
    )


def all_recomputed(org, in_tenant):
    """A predicate for wait_for: the tenant-wide recompute is done."""

    def settled():
        """the outbox is empty and every account has its CMI"""
        with in_tenant(org):
            return (
                not RecomputeRequest.objects.exists()
                and not Account.objects.filter(cmi__isnull=True).exists()
            )

    return settled


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_recompute_leaves_it_to_be_done_once_after_restart(
    stack, org_a, cmi_framework, chs_card, in_tenant
):
    """A tenant-wide recompute of 2,000 accounts is SIGKILLed mid-way; after a restart it is
    done, once: every account has its CMI and exactly one migration.

    The test holds the last account's row lock, which the recompute needs (it locks its chunk
    in id order before reading any input): the worker is provably inside its transaction,
    waiting on the test, when it is killed."""
    with in_tenant(org_a):
        bulk_placed(org_a, cmi_framework, 2_000)
        RecomputeRequest.objects.all().delete()  # the fixtures' own, nudged to another broker
        last = Account.objects.order_by("-pk").values_list("pk", flat=True).first()
    with row_held(org_a, "accounts_account", last) as waiting_for_it:
        with in_tenant(org_a):
            RecomputeRequest.objects.create(organization=org_a, account_ids=None, cause="")
        wait_for(waiting_for_it, timeout=30, interval=0.05)
        stack.worker_kill()
    with in_tenant(org_a):  # rolled back with the killed transaction: still to do
        assert RecomputeRequest.objects.count() == 1
        assert not Account.objects.filter(cmi__isnull=False).exists()
    stack.worker_up()

    wait_for(all_recomputed(org_a, in_tenant), timeout=120, interval=0.5)
    with in_tenant(org_a):
        assert TierMigration.objects.count() == 2_000
        assert set(Account.objects.values_list("segment", flat=True)) == {"promote_maturity"}


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_part_leaves_that_part_to_be_done_once_after_restart(
    stack_in_parts, org_a, cmi_framework, chs_card, in_tenant
):
    """The same recompute in four parts of 500: the worker is SIGKILLed while it runs one. The
    parts done stay done, the killed one rolls back, and after a restart the sweep publishes
    it again (its message is held by the dead worker until the visibility timeout): every
    account ends with exactly one migration.

    The test holds the last account's row lock: the part holding that account is provably
    inside its transaction, waiting on the test, once the other three are done (two worker
    processes run parts side by side, so catching "one part running" by polling was luck)."""
    with in_tenant(org_a):
        bulk_placed(org_a, cmi_framework, 2_000)
        RecomputeRequest.objects.all().delete()  # the fixtures' own, nudged to another broker
        last = Account.objects.order_by("-pk").values_list("pk", flat=True).first()

    def parts():
        with in_tenant(org_a):
            return RecomputePart.objects.all()

    def only_the_held_part_left():
        """three parts are done; the fourth waits on the account the test holds"""
        with in_tenant(org_a):
            return not RecomputeRequest.objects.exists() and parts().count() == 1

    with row_held(org_a, "accounts_account", last) as waiting_for_it:
        with in_tenant(org_a):
            RecomputeRequest.objects.create(organization=org_a, account_ids=None, cause="")
        wait_for(waiting_for_it, timeout=30, interval=0.05)
        wait_for(only_the_held_part_left, timeout=60, interval=0.1)
        stack_in_parts.worker_kill()
    with in_tenant(org_a):
        assert parts().count() == 1 and not RecomputeRequest.objects.exists()
        done = Account.objects.filter(cmi__isnull=False).count()
        assert done == 1_500  # whole parts only: the killed one rolled back
        assert TierMigration.objects.count() == done
    stack_in_parts.worker_up()

    wait_for(all_recomputed(org_a, in_tenant), timeout=120, interval=0.5)
    with in_tenant(org_a):
        assert TierMigration.objects.count() == 2_000
        assert TierMigration.objects.values("account").distinct().count() == 2_000
        assert set(Account.objects.values_list("segment", flat=True)) == {"promote_maturity"}


@pytest.mark.django_db(transaction=True)
def test_redis_restarted_under_load_loses_and_duplicates_nothing(
    stack, org_a, cmi_framework, chs_card, in_tenant
):
    """A CRM streams 300 submissions over 30 accounts while Redis restarts empty (no
    persistence: every queued drain is gone). All are accepted; afterwards every account has
    its last CMI, the outbox is empty, and each account's migrations form one unbroken chain
    ending at its cell: none lost, none written twice."""
    import threading

    from django.utils import timezone

    from health.models import MetricValue
    from health.services import metrics_record

    accounts = [AccountFactory(organization=org_a, name=f"Load {n}") for n in range(30)]
    with in_tenant(org_a):
        metrics_record(  # as the API records them: with the CHS recompute they ask for
            organization=org_a,
            values=[
                MetricValue(account=account, metric="nps", number=50, observed_at=timezone.now())
                for account in accounts
            ],
            source="api",
        )
        key = api_key_create(organization=org_a, name="load")[1]
    statuses, last = [], {}

    def stream():
        for n in range(300):
            account, score = accounts[n % 30], 1 + (n * 7 // 30) % 5
            statuses.append(
                stack.post(
                    "/api/v1/assessments/", key, {"account": account.pk, "answers": uniform(score)}
                )
            )
            last[account.pk] = float(score)

    crm = threading.Thread(target=stream)
    crm.start()
    wait_for(lambda: len(statuses) >= 100, timeout=60, interval=0.01)
    stack.redis_down()
    stack.redis_up()
    restarted_at = len(statuses)
    crm.join(timeout=120)
    assert restarted_at < 250, "the stream ended before Redis restarted"
    assert statuses == [201] * 300

    wait_for(last_submissions_scored(org_a, last, in_tenant), timeout=60, interval=0.5)
    with in_tenant(org_a):
        assert Assessment.objects.filter(status="submitted").count() == 300
        cells = dict(Account.objects.values_list("pk", "segment"))
        for account in accounts:
            chain = list(
                TierMigration.objects.filter(account=account)
                .order_by("id")
                .values_list("from_segment", "to_segment")
            )
            assert chain, f"{account} never migrated"
            assert chain[0][0] == ""
            for (_, reached), (left, to) in pairwise(chain):
                assert left == reached and to != left, f"{account}: broken chain {chain}"
            assert chain[-1][1] == cells[account.pk]


@pytest.mark.django_db(transaction=True)
def test_webhooks_subscribed_through_a_broker_outage_are_each_delivered_once(
    stack, org_a, cmi_framework, chs_card, in_tenant
):
    """With Redis stopped, every submission still answers 201 and its delivery waits in its
    row; once Redis is back, beat's relay sends each, and each event arrives exactly once."""
    from integrations.services import subscription_create

    from ..api.test_webhooks import Receiver

    receiver = Receiver()
    try:
        accounts = [AccountFactory(organization=org_a, name=f"Hooked {n}") for n in range(10)]
        with in_tenant(org_a):
            key = api_key_create(organization=org_a, name="faults")[1]
            subscription_create(
                organization=org_a, url=receiver.url, events=["assessment.submitted"]
            )
        stack.redis_down()
        for account in accounts:
            body = {"account": account.pk, "answers": uniform(3)}
            assert stack.post("/api/v1/assessments/", key, body) == 201
        with in_tenant(org_a):
            assert WebhookDelivery.objects.filter(status="pending").count() == 10
        stack.redis_up()

        def all_delivered():
            """every delivery is marked delivered"""
            with in_tenant(org_a):
                return not WebhookDelivery.objects.exclude(status="delivered").exists()

        wait_for(all_delivered, timeout=60, interval=0.5)
        ids = [event["id"] for event in receiver.events("assessment.submitted")]
        assert len(ids) == len(set(ids)) == 10  # each event once
        with in_tenant(org_a):
            assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}
    finally:
        receiver.stop()


class FirstAttemptRefused:
    """A loopback receiver that answers 503 to an event's first attempt and 200 after, and
    records every request as (event id, its n-th arrival)."""

    def __init__(self):
        from ..api.test_webhooks import Receiver

        self.inner = Receiver()
        self.url = self.inner.url
        self.arrivals: dict[str, int] = {}
        inner, arrivals = self.inner, self.arrivals
        handler = inner.server.RequestHandlerClass

        class Handler(handler):  # type: ignore[misc, valid-type]
            def do_POST(self):
                event = self.headers["webhook-id"]
                arrivals[event] = arrivals.get(event, 0) + 1
                inner.failing = 1 if arrivals[event] == 1 else 0
                super().do_POST()

        inner.server.RequestHandlerClass = Handler

    def stop(self):
        self.inner.stop()


@pytest.fixture
def persistent_stack(tmp_path, transactional_db):
    """A stack whose Redis keeps its data across a restart, as a deployment's volume does;
    webhook retries wait 20 s, long enough to be held through two restarts."""
    running = Stack(
        tmp_path,
        {"WEBHOOK_RETRY_BASE_SECONDS": "20", "WEBHOOK_RELAY_GRACE_SECONDS": "2"},
        redis_persists=True,
    )
    running.up()
    yield running
    running.down()


@pytest.mark.django_db(transaction=True)
def test_the_worker_keeps_consuming_through_two_broker_restarts_with_messages_held(
    persistent_stack, org_a, cmi_framework, chs_card, in_tenant
):
    """Twice, five submissions each send an event whose first attempt the receiver refuses:
    the prefork worker holds five retries as countdown messages, and Redis restarts. The
    worker never exits; afterwards a new submission still reaches its cell, and every retry
    is made, once: each of the eleven events arrives exactly twice (attempts 1 and 2)."""
    from django.utils.timezone import now

    from health.models import MetricValue
    from health.services import metrics_record
    from integrations.services import subscription_create

    stack = persistent_stack
    receiver = FirstAttemptRefused()
    try:
        accounts = [AccountFactory(organization=org_a, name=f"Held {n}") for n in range(11)]
        with in_tenant(org_a):
            key = api_key_create(organization=org_a, name="faults")[1]
            metrics_record(  # the last account has a CHS: its assessment gives it a cell
                organization=org_a,
                values=[
                    MetricValue(account=accounts[10], metric="nps", number=50, observed_at=now())
                ],
                source="api",
            )
            subscription_create(
                organization=org_a, url=receiver.url, events=["assessment.submitted"]
            )
        worker = stack.processes["worker"]
        for batch in (accounts[:5], accounts[5:10]):
            for account in batch:
                body = {"account": account.pk, "answers": uniform(3)}
                assert stack.post("/api/v1/assessments/", key, body) == 201
            wait_for(lambda: (stack.scheduled() or 0) >= 5, timeout=30, interval=0.2)
            stack.redis_down()
            stack.redis_up()
            wait_for(lambda: stack.scheduled() is not None, timeout=30, interval=0.2)

        body = {"account": accounts[10].pk, "answers": uniform(5)}
        assert stack.post("/api/v1/assessments/", key, body) == 201

        def settled():
            """the last account has its cell and every delivery is delivered"""
            with in_tenant(org_a):
                last = Account.objects.get(pk=accounts[10].pk)
                moved = TierMigration.objects.filter(account=last, to_segment=last.segment)
                placed = last.cmi == 5.0 and last.segment != "" and moved.exists()
                return placed and not WebhookDelivery.objects.exclude(status="delivered").exists()

        wait_for(settled, timeout=120, interval=0.5)
        assert worker.poll() is None and stack.restarts == 0, stack.log("worker")[-3000:]
        assert "Unrecoverable error" not in stack.log("worker")
        with in_tenant(org_a):
            attempts = dict(WebhookDelivery.objects.values_list("event_id", "attempts"))
        assert len(attempts) == 11 and set(attempts.values()) == {2}
        assert receiver.arrivals == {str(event): 2 for event in attempts}
    finally:
        receiver.stop()


class HeldReceiver:
    """A loopback receiver that holds every request until released, and records each
    event's arrivals; `entered` is set by the first request."""

    def __init__(self):
        from ..api.test_webhooks import Receiver

        self.inner = Receiver()
        self.url = self.inner.url
        self.entered, self.released = threading.Event(), threading.Event()
        self.arrivals: dict[str, int] = {}
        entered, released, arrivals = self.entered, self.released, self.arrivals
        handler = self.inner.server.RequestHandlerClass

        class Handler(handler):  # type: ignore[misc, valid-type]
            def do_POST(self):
                event = self.headers["webhook-id"]
                arrivals[event] = arrivals.get(event, 0) + 1
                entered.set()
                released.wait(timeout=60)
                super().do_POST()

        self.inner.server.RequestHandlerClass = Handler

    def stop(self):
        self.released.set()
        self.inner.stop()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_its_recompute_committed_leaves_no_delivery_unsent(
    stack, org_a, cmi_framework, chs_card, in_tenant
):
    """A tenant recompute of 30 accounts commits 30 `account.migrated` deliveries; the worker
    is SIGKILLed while the receiver holds its first POST (so the worker is provably past the
    commit, inside a delivery). After a restart, beat's relay sends what the dead worker
    held: every event arrives, and each delivery records one attempt (the killed one rolled
    back with its transaction), so no attempt number is made twice."""
    from integrations.services import subscription_create

    receiver = HeldReceiver()
    try:
        with in_tenant(org_a):
            bulk_placed(org_a, cmi_framework, 30)
            RecomputeRequest.objects.all().delete()  # the fixtures' own, nudged elsewhere
            subscription_create(organization=org_a, url=receiver.url, events=["account.migrated"])
            RecomputeRequest.objects.create(organization=org_a, account_ids=None, cause="")
        assert receiver.entered.wait(timeout=60), "no delivery reached the receiver"
        stack.worker_kill()
        with in_tenant(org_a):
            assert WebhookDelivery.objects.count() == 30  # committed before the kill
            assert WebhookDelivery.objects.filter(status="pending").count() == 30
        receiver.released.set()
        stack.worker_up()

        def all_delivered():
            """every delivery is marked delivered"""
            with in_tenant(org_a):
                return not WebhookDelivery.objects.exclude(status="delivered").exists()

        wait_for(all_delivered, timeout=90, interval=0.5)
        with in_tenant(org_a):
            events = {str(e) for e in WebhookDelivery.objects.values_list("event_id", flat=True)}
            assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}
            assert {d.log.count() for d in WebhookDelivery.objects.all()} == {1}
        assert set(receiver.arrivals) == events
        repeated = [event for event, count in receiver.arrivals.items() if count > 1]
        assert len(repeated) <= 2  # only the POSTs in flight at the kill (two processes)
    finally:
        receiver.stop()


class Browser:
    """A signed-in browser session on the stack's gunicorn, by plain HTTP: the login form,
    its CSRF cookie, and multipart uploads."""

    def __init__(self, stack, email, password="pw-for-tests"):
        import http.cookiejar

        self.base = f"http://127.0.0.1:{stack.web_port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(f"{self.base}/login/", timeout=10).read()
        body = urllib.parse.urlencode(
            {"username": email, "password": password, "csrfmiddlewaretoken": self.csrf()}
        ).encode()
        login = urllib.request.Request(
            f"{self.base}/login/", data=body, headers={"Referer": f"{self.base}/login/"}
        )
        assert self.opener.open(login, timeout=10).geturl().endswith("/segments/")

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path) -> int:
        with self.opener.open(f"{self.base}{path}", timeout=10) as response:
            return response.status

    def upload(self, path, filename, content: bytes, fields: dict) -> str:
        """POST a multipart form; returns the URL it redirected to."""
        boundary = "----ascend-faults"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in {**fields, "csrfmiddlewaretoken": self.csrf()}.items()
        ]
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
        )
        body = (
            "".join(parts).encode() + head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": f"{self.base}{path}",
            },
        )
        with self.opener.open(request, timeout=10) as response:
            return response.geturl()


def accounts_csv(first: int, count: int) -> bytes:
    rows = [f"IMP-{n},Imported {n}" for n in range(first, first + count)]
    return ("external_id,name\n" + "\n".join(rows) + "\n").encode()


@pytest.mark.django_db(transaction=True)
def test_imports_uploaded_through_a_broker_outage_and_a_killed_worker_are_each_done_once(
    stack, org_a, mike, in_tenant
):
    """Three CSV uploads with Redis stopped each answer with their job page (and the
    account list still answers 200); once Redis is back, beat's relay sends them. Then an
    import is SIGKILLed mid-way (the test holds a row it upserts, so the worker is provably
    inside the import's transaction): after a restart it is relayed and done. Every job
    ends done, and every account exists once."""
    from accounts.models import ImportJob

    browser = Browser(stack, "mike@alpha.test")
    with in_tenant(org_a):
        held = Account.objects.create(organization=org_a, name="Held", external_id="IMP-300")

    stack.redis_down()
    for n in range(3):
        landed = browser.upload(
            "/accounts/import/", f"part{n}.csv", accounts_csv(n * 100, 100), {"mode": "all"}
        )
        assert "/accounts/import/" in landed and landed.rstrip("/").split("/")[-1].isdigit()
    assert browser.get("/accounts/") == 200
    with in_tenant(org_a):
        assert ImportJob.objects.filter(status="queued").count() == 3
    stack.redis_up()

    def jobs_done(count):
        def done():
            """every import job is done"""
            with in_tenant(org_a):
                jobs = list(ImportJob.objects.values_list("status", flat=True))
            return len(jobs) == count and set(jobs) == {"done"}

        return done

    wait_for(jobs_done(3), timeout=60, interval=0.5)

    with row_held(org_a, "accounts_account", held.pk) as waiting_for_it:
        browser.upload("/accounts/import/", "last.csv", accounts_csv(300, 100), {"mode": "all"})
        wait_for(waiting_for_it, timeout=30, interval=0.05)
        stack.worker_kill()
    with in_tenant(org_a):
        assert ImportJob.objects.filter(status="queued").count() == 1  # rolled back, not lost
    stack.worker_up()

    wait_for(jobs_done(4), timeout=60, interval=0.5)
    with in_tenant(org_a):
        ids = list(
            Account.objects.filter(external_id__startswith="IMP-").values_list(
                "external_id", flat=True
            )
        )
        assert len(ids) == len(set(ids)) == 400
        assert (
            sum(ImportJob.objects.values_list("created_count", flat=True)) == 399
        )  # IMP-300 was there
