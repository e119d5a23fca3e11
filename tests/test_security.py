"""Deploy checks and headers: `check --deploy` passes under production settings, production
sends HSTS and redirects plain http, and every page runs under a Content Security Policy that
allows no inline script: each script tag carries the request's nonce."""

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from recompute.pipeline import accounts_recompute

from .conftest import uniform

ROOT = Path(__file__).resolve().parent.parent


def production_env() -> dict:
    db = connection.settings_dict
    return {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "ascend.example.com",
        "DATABASE_URL": f"postgres://ascend_app@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_OWNER_URL": f"postgres://ascend_owner@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
    }


def run_production(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_check_deploy_passes_at_warning_level_under_production_settings():
    checked = run_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert checked.returncode == 0, checked.stderr + checked.stdout


PROBE = """
import django; django.setup()
from django.test import Client
c = Client(HTTP_HOST="ascend.example.com")
plain = c.get("/login/")
print("plain", plain.status_code, plain.get("Location"))
print("health", c.get("/healthz/").status_code)
secure = c.get("/login/", secure=True)
print("secure", secure.status_code, secure.get("Strict-Transport-Security"))
print("cookie", "Secure" if c.get("/login/", secure=True).cookies["csrftoken"]["secure"] else "-")
"""


@pytest.mark.django_db
def test_production_redirects_plain_http_and_sends_hsts():
    probed = run_production("-c", PROBE)
    assert probed.returncode == 0, probed.stderr
    lines = dict(line.split(" ", 1) for line in probed.stdout.splitlines())
    assert lines["plain"] == "301 https://ascend.example.com/login/"
    assert lines["health"] == "200"  # the container's own healthcheck asks over plain http
    assert lines["secure"] == "200 max-age=31536000; includeSubDomains; preload"


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def assert_scripts_carry_the_nonce(response):
    policy = policy_of(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    (nonce,) = re.findall(r"'nonce-([^']+)'", policy["script-src"])
    html = response.content.decode()
    tags = re.findall(r"<script\b[^>]*>", html)
    scripts = [tag for tag in tags if 'type="application/json"' not in tag]  # data, never run
    assert scripts, "the page has no script to check"
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag and "src=" in tag, tag
    assert not re.search(r"<[^>]+\son[a-z]+=", html), "an inline event handler"
    return nonce


@pytest.fixture
def pages(org_a, account_a, mike, placed, in_tenant, cmi_framework, chs_card):
    placed(account_a, nps=50, answers=uniform(3))
    with in_tenant(org_a):
        accounts_recompute()
    return ["/segments/", f"/accounts/{account_a.pk}/", "/accounts/", "/api/v1/docs/"]


@pytest.mark.django_db
def test_every_page_allows_only_its_own_nonced_scripts(client_for, mike, pages):
    client = client_for(mike)
    nonces = set()
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        nonces.add(assert_scripts_carry_the_nonce(response))
        assert policy_of(response)["frame-ancestors"] == "'none'"
    assert len(nonces) == len(pages)  # a fresh nonce per response


@pytest.mark.django_db(transaction=True)
def test_plotly_and_swagger_run_under_the_policy_in_chromium(login, live_server, pages):
    page = login("mike@alpha.test")
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{live_server.url}{pages[0]}")
    page.wait_for_selector("#quadrant .main-svg")
    page.goto(f"{live_server.url}{pages[1]}")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    page.goto(f"{live_server.url}{pages[3]}")
    page.wait_for_selector(".swagger-ui .opblock")
    assert refused == []
