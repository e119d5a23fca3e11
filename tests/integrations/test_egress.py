"""Webhooks cannot reach inside: refused at registration and again at every delivery.

No name is looked up for real (tests/conftest.py's `names` stub answers) and the only
connections made are to receivers on 127.0.0.1, allow-listed as the tests' settings do."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations import egress, services
from integrations.models import DeliveryAttempt, WebhookDelivery

from ..problems import errors


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://192.168.1.1/",
        "https://ula.example/",  # IPv6, unique local
        "https://mapped.example/",  # IPv4-mapped IPv6
        "https://metadata.google.internal/",
        "https://intranet.example/hook",
        "https://mixed.example/hook",  # one inside address among public ones is enough
        "https://100.64.0.1/",  # shared address space
        "https://224.0.0.1/",  # multicast
        "https://0.0.0.0/",
        "https://unspecified6.example/",
    ],
)
def test_an_inside_address_is_refused_with_a_clear_message(url, names, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    message = services.url_error(url)
    assert message and "private network" in message


def test_loopback_is_refused_unless_the_setting_names_it(names, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    assert "private network" in services.url_error("https://127.0.0.1:6379/")
    assert "private network" in services.url_error("http://receiver.test:8000/")
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert services.url_error("http://receiver.test:8000/") is None


def test_public_endpoints_need_https_and_a_name_that_resolves(names, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert services.url_error("https://hooks.example/in") is None
    assert "https://" in services.url_error("http://hooks.example/in")
    assert "cannot be resolved" in services.url_error("https://nowhere.example/")
    assert "https://" in services.url_error("ftp://hooks.example/")


@pytest.mark.parametrize(
    "url",
    [
        "https://" + "a" * 64 + ".example/",  # a label over 63 characters
        "https://-hooks.example/",
        "https://hooks.example:65536/",
        "https://hooks.example:0/",
        "https://hooks.example/in\n",  # a trailing newline that `$` alone would let by
        " https://hooks.example/in",
        "https://hooks.example/a b",
        "https://bücher.example/",
        "accounts:detail",
        "https://user@hooks.example/",
        "https://[fd00::1]/",  # address literals in brackets: not taken, names are
        "https://hooks.example/" + "x" * egress.URL_MAX_LENGTH,
    ],
)
def test_a_url_outside_the_published_pattern_is_refused_before_any_lookup(url, names):
    message = services.url_error(url)
    assert message and "no spaces" in message


def test_the_schema_publishes_the_url_rule_that_is_enforced():
    import re

    from ..served_schema import served_spec

    field = served_spec()["components"]["schemas"]["SubscriptionRequest"]["properties"]
    assert field["url"]["pattern"] == egress.URL_PATTERN
    assert field["url"]["maxLength"] == egress.URL_MAX_LENGTH
    for good in ["https://hooks.example/in?x=1#f", "https://hooks.example:8443/", "http://a"]:
        assert re.fullmatch(egress.URL_PATTERN, good)


@pytest.mark.django_db
def test_the_api_refuses_an_inside_endpoint_per_field(key_for, org_a, names, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    response = key_for(org_a).post(
        "/api/v1/webhooks/",
        {"url": "https://metadata.google.internal/", "events": ["account.migrated"]},
        format="json",
    )
    assert response.status_code == 403
    assert "private network" in errors(response)["url"][0]


class Loopback:
    """A receiver on 127.0.0.1 that answers with `status`, `body` and `headers`."""

    def __init__(self, status=200, body=b"ok", headers=None):
        self.seen = []
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                loopback.seen.append(dict(self.headers))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopbacks():
    started = []

    def start(**options):
        started.append(Loopback(**options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def delivered_once(org, url, in_tenant, settings):
    """Subscribe `url`, queue one event and attempt it here, in-process; its attempt."""
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    with in_tenant(org):
        services.subscription_create(organization=org, url=url, events=["account.migrated"])
        services.events_emit(
            organization_id=org.id, event="account.migrated", payloads=[{"account": 1}]
        )
        delivery = WebhookDelivery.objects.get()
        services.delivery_attempt(delivery=delivery)
        return DeliveryAttempt.objects.get(delivery=delivery)


@pytest.mark.django_db
def test_a_delivery_connects_to_the_address_it_checked_under_the_urls_name(
    org_a, in_tenant, names, loopbacks, settings
):
    server = loopbacks()
    attempt = delivered_once(org_a, f"http://receiver.test:{server.port}/in", in_tenant, settings)
    assert attempt.status_code == 200
    assert server.seen[0]["Host"] == f"receiver.test:{server.port}"  # no real lookup was made


@pytest.mark.django_db
def test_a_name_that_turns_inward_after_registration_is_not_contacted(
    org_a, in_tenant, names, loopbacks, settings
):
    server = loopbacks()
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    with in_tenant(org_a):
        services.subscription_create(
            organization=org_a, url="https://hooks.example/in", events=["account.migrated"]
        )
        services.events_emit(
            organization_id=org_a.id, event="account.migrated", payloads=[{"account": 1}]
        )
        names["hooks.example"] = ["127.0.0.1"]  # DNS rebinding
        settings.WEBHOOK_ALLOWED_NETWORKS = []
        delivery = WebhookDelivery.objects.get()
        attempt = services.delivery_attempt(delivery=delivery)
    assert attempt.status_code is None and "private network" in attempt.error
    assert server.seen == []


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_only_an_excerpt_is_kept(
    org_a, in_tenant, names, loopbacks, settings
):
    inside = loopbacks(body=b"the secret")
    outside = loopbacks(
        status=302,
        body=b"x" * 10_000,
        headers={"Location": f"http://127.0.0.1:{inside.port}/latest/meta-data/"},
    )
    attempt = delivered_once(org_a, f"http://receiver.test:{outside.port}/in", in_tenant, settings)
    assert attempt.status_code == 302 and inside.seen == []
    assert len(attempt.response_body) == egress.RESPONSE_EXCERPT


@pytest.mark.django_db
def test_an_attempt_sent_twice_is_made_once(org_a, in_tenant, names, loopbacks, settings):
    server = loopbacks(status=503)
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    with in_tenant(org_a):
        services.subscription_create(
            organization=org_a,
            url=f"http://receiver.test:{server.port}/",
            events=["account.migrated"],
        )
        services.events_emit(
            organization_id=org_a.id, event="account.migrated", payloads=[{"account": 1}]
        )
        delivery = WebhookDelivery.objects.get()
        assert services.delivery_attempt(delivery=delivery, number=1) is not None
        assert services.delivery_attempt(delivery=delivery, number=1) is None  # a duplicate
        assert services.delivery_attempt(delivery=delivery, number=2) is not None
    assert len(server.seen) == 2


@pytest.mark.django_db
def test_the_relay_sends_again_only_what_is_overdue(
    org_a, in_tenant, names, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    settings.WEBHOOK_RELAY_GRACE_SECONDS = 60
    now = timezone.now()
    with in_tenant(org_a):
        services.subscription_create(
            organization=org_a, url="https://hooks.example/", events=["account.migrated"]
        )
        with django_capture_on_commit_callbacks(execute=False):  # their tasks, lost
            services.events_emit(
                organization_id=org_a.id,
                event="account.migrated",
                payloads=[{"account": 1}, {"account": 2}],
            )
        lost, _recent = WebhookDelivery.objects.order_by("pk")
        WebhookDelivery.objects.filter(pk=lost.pk).update(
            next_attempt_at=now - timedelta(minutes=5)
        )
        with django_capture_on_commit_callbacks(execute=False) as sent:
            assert services.deliveries_relay(now=now) == 1
        lost.refresh_from_db()
        assert lost.next_attempt_at == now + timedelta(seconds=60)  # not again at once
        with django_capture_on_commit_callbacks(execute=False) as again:
            assert services.deliveries_relay(now=now) == 0
    assert len(sent) == 1 and not again


@pytest.mark.django_db
def test_a_receiver_answering_410_pauses_its_endpoint_and_keeps_the_history(
    org_a, in_tenant, names, loopbacks, settings
):
    server = loopbacks(status=410)
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    with in_tenant(org_a):
        services.subscription_create(
            organization=org_a,
            url=f"http://receiver.test:{server.port}/in",
            events=["account.migrated"],
        )
        services.events_emit(
            organization_id=org_a.id,
            event="account.migrated",
            payloads=[{"account": 1}, {"account": 2}],
        )
        first, second = WebhookDelivery.objects.order_by("id")
        attempt = services.delivery_attempt(delivery=first)
        assert attempt.status_code == 410
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.status == second.status == WebhookDelivery.Status.FAILED
        assert first.attempts == 1  # not retried, though four attempts were left
        assert services.delivery_attempt(delivery=second) is None  # nothing more is sent
        assert not first.subscription.__class__.objects.get().is_active
        assert DeliveryAttempt.objects.filter(delivery=first).count() == 1  # history kept
        assert (
            services.events_emit(
                organization_id=org_a.id, event="account.migrated", payloads=[{"account": 3}]
            )
            == 0
        )
    assert len(server.seen) == 1
