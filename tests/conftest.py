"""Two organizations and their people, on the real PostgreSQL as the application role.

alice owns org A, mike manages it, bob is a CSM there and vera a viewer; carol owns org B.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tenancy.context import tenant_context
from tenancy.db import grant_app_role
from tenancy.models import Role

from .factories import AccountFactory, MembershipFactory, OrganizationFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


def _use_role(user: str) -> None:
    connection.close()
    connection.settings_dict["USER"] = user


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """Create and migrate the test database as the owner role."""
    _use_role(settings.DATABASE_OWNER["USER"])


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then run every test as the application role, which RLS applies to."""
    with django_db_blocker.unblock():
        grant_app_role()
        with connection.cursor() as cursor:
            # Only so that transactional tests can flush between tests; never in production.
            cursor.execute(
                f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {settings.APP_DATABASE_ROLE}"
            )
        _use_role(settings.APP_DATABASE_ROLE)
    yield
    with django_db_blocker.unblock():
        _use_role(settings.DATABASE_OWNER["USER"])


@pytest.fixture
def org_a(db):
    return OrganizationFactory(name="Alpha Software", slug="alpha")


@pytest.fixture
def org_b(db):
    return OrganizationFactory(name="Beta Systems", slug="beta")


def _member(organization, email, role):
    return MembershipFactory(
        organization=organization, user=UserFactory(email=email), role=role
    ).user


@pytest.fixture
def alice(org_a):
    return _member(org_a, "alice@alpha.test", Role.OWNER)


@pytest.fixture
def mike(org_a):
    return _member(org_a, "mike@alpha.test", Role.MANAGER)


@pytest.fixture
def bob(org_a):
    return _member(org_a, "bob@alpha.test", Role.CSM)


@pytest.fixture
def vera(org_a):
    return _member(org_a, "vera@alpha.test", Role.VIEWER)


@pytest.fixture
def carol(org_b):
    return _member(org_b, "carol@beta.test", Role.OWNER)


@pytest.fixture
def account_a(org_a, bob):
    return AccountFactory(organization=org_a, name="Acme (A)", owner_csm=bob)


@pytest.fixture
def account_b(org_b, carol):
    return AccountFactory(organization=org_b, name="Bravo (B)", external_id="B-1")


@pytest.fixture
def client_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def in_tenant():
    """`with in_tenant(org): ...` reads a tenant's rows from a test."""
    return lambda organization: tenant_context(organization.id)


def _worker_env() -> dict:
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=f"postgres://{settings.APP_DATABASE_ROLE}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        DATABASE_OWNER_URL=f"postgres://{settings.DATABASE_OWNER['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CACHE_URL=os.environ.get("CACHE_URL", "rediscache://127.0.0.1:6379/10"),
    )
    return env


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker process on the real Redis broker and the test database."""
    from config.celery import app

    with django_db_blocker.unblock():
        env = _worker_env()
    app.control.purge()
    log = open(ROOT / "tests" / ".worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            break
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited; see {log.name}")
    else:
        process.kill()
        raise RuntimeError(f"the worker did not start; see {log.name}")
    global _WORKER_STARTED
    _WORKER_STARTED = True
    yield process
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture
def worker(celery_worker_process, transactional_db):
    """Use with tests whose writes must be committed for the worker to see them."""
    return celery_worker_process


def _worker_quiet(timeout: float = 30.0) -> None:
    """Wait until the worker has nothing queued or running, then drop what is left."""
    import redis

    from config.celery import app

    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline and quiet < 2:
        # The solo pool cannot answer while it runs a task: no reply means busy. A message the
        # worker has fetched but not started is neither queued nor active: it is reserved, or
        # scheduled when it has a countdown (a debounced drain).
        inspect = app.control.inspect(timeout=1, limit=1)
        states = [inspect.active(), inspect.reserved(), inspect.scheduled()]
        idle = all(states) and not any(any(state.values()) for state in states)
        idle = idle and queue.llen("celery") == 0
        quiet = quiet + 1 if idle else 0
        time.sleep(0.05)
    app.control.purge()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Before a transactional test's tables are flushed, let the worker finish what the test
    enqueued: a task still writing would deadlock with the flush's TRUNCATE."""
    marker = item.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        "transactional_db" in getattr(item, "fixturenames", ())
    )
    if transactional and _WORKER_STARTED:
        _worker_quiet()
    yield


_WORKER_STARTED = False


def wait_for(predicate, *, timeout: float = 20.0, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value, or fail with a clear message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s: {predicate.__doc__ or predicate}")


@pytest.fixture
def cmi_framework(org_a, in_tenant):
    from maturity.services import framework_create_from_template

    with in_tenant(org_a):
        return framework_create_from_template(organization=org_a, template="cmi", primary=True)


DECK_ANSWERS = {
    "clarity_of_charter": 3,
    "breadth_of_influence": 1,
    "title_of_functional_head": 3,
    "team_sophistication": 3,
    "team_size": 4,
    "success_track_record": 5,
    "process_quality": 2,
    "knowledge_management": 1,
    "team_integration": 2,
    "use_of_tools": 1,
    "use_of_reports": 2,
    "environment_complexity": 1,
}


BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls tests make
    # between browser steps are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def login(browser, live_server):
    """`page = login(email)`: a browser page signed in through the real login form."""
    pages = []

    def open_as(email, password="pw-for-tests"):
        page = browser.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/segments/")
        pages.append(page)
        return page

    yield open_as
    for page in pages:
        page.close()


@pytest.fixture
def chs_card(org_a, in_tenant):
    from health.services import scorecard_create_from_template

    with in_tenant(org_a):
        return scorecard_create_from_template(organization=org_a, template="chs", activate=True)


@pytest.fixture
def key_for(in_tenant):
    """`client = key_for(org)`: an API client holding a fresh key of that organization."""
    from rest_framework.test import APIClient

    from tenancy.services import api_key_create

    def make(organization):
        with in_tenant(organization):
            key = api_key_create(organization=organization, name="test")[1]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        return client

    return make


@pytest.fixture
def placed(org_a, cmi_framework, chs_card, in_tenant):
    """`placed(account, chs_points, answers)`: give an account metrics and an assessment."""
    from django.utils import timezone

    from health.models import MetricValue
    from maturity.services import assessment_create

    def place(account, nps=None, answers=None):
        with in_tenant(org_a):
            if nps is not None:
                MetricValue.objects.create(
                    organization=org_a,
                    account=account,
                    metric="nps",
                    number=nps,
                    observed_at=timezone.now(),
                    source="api",
                )
            if answers is not None:
                assessment_create(
                    account=account, framework=cmi_framework, answers=answers, by=None
                )

    return place


def uniform(score: int) -> dict:
    """Answers giving every pillar, and so the CMI, this score."""
    return {key: score for key in DECK_ANSWERS}


def formset_data(context, *names) -> dict:
    """POST data that resubmits the formsets of a rendered page exactly as they were shown."""
    data = {}
    for name in names:
        formset = context[name]
        data.update(
            {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
        )
        for index, form in enumerate(formset.forms):
            for field_name, field in form.fields.items():
                value = form.initial.get(field_name, field.initial)
                if value is None or value is False or field_name == "DELETE":
                    continue
                data[f"{formset.prefix}-{index}-{field_name}"] = field.prepare_value(value)
    return data


# What names resolve to in tests: no test looks a name up for real, and only receivers on
# 127.0.0.1 are ever contacted. The public addresses here are never connected to.
NAMES = {
    "metadata.google.internal": ["169.254.169.254"],
    "intranet.example": ["10.0.0.7"],
    "mixed.example": ["93.184.216.34", "192.168.1.1"],
    "hooks.example": ["93.184.216.34"],
    "example.com": ["93.184.216.34"],
    "a.example": ["93.184.216.34"],
    "b.example": ["93.184.216.34"],
    "receiver.test": ["127.0.0.1"],
    "ula.example": ["fd00::1"],
    "mapped.example": ["::ffff:169.254.169.254"],
    "unspecified6.example": ["::"],
}


@pytest.fixture(autouse=True)
def names(monkeypatch):
    """The webhook resolver's stub: `names[host] = [addresses]` changes what a name resolves
    to; an unknown name does not resolve."""
    from integrations import egress

    table = {host: list(addresses) for host, addresses in NAMES.items()}

    def resolve(host, port):
        if host not in table:
            raise OSError("unknown host")
        return table[host]

    monkeypatch.setattr(egress, "resolve", resolve)
    return table


@pytest.fixture(autouse=True)
def responses_match_the_schema(monkeypatch):
    """Every API response a test receives through Django's test client (DRF's APIClient
    included) is checked against the served schema (tests/served_schema.py)."""
    from django.test.client import Client as DjangoClient

    from .served_schema import check_response

    sent = DjangoClient.request

    def request(self, **kwargs):
        response = sent(self, **kwargs)
        check_response(response)
        return response

    monkeypatch.setattr(DjangoClient, "request", request)
