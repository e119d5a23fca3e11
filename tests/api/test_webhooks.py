"""Webhooks against a real loopback HTTP receiver started by the test."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from integrations.models import WebhookDelivery, WebhookSubscription, new_secret

from ..conftest import DECK_ANSWERS, wait_for
from ..problems import errors


class Receiver:
    """Records every POST; answers 503 while `failing` is above zero, and counts it down."""

    def __init__(self, port=0):
        self.requests, self.failing = [], 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = 503 if receiver.failing > 0 else 200
                receiver.failing -= 1
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"down for maintenance" if status == 503 else b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def events(self, name):
        return [
            json.loads(body) for headers, body in self.requests if headers["X-Ascend-Event"] == name
        ]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def subscribe(client, url, events):
    response = client.post("/api/v1/webhooks/", {"url": url, "events": events}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def submit(client, account):
    response = client.post(
        "/api/v1/assessments/", {"account": account.pk, "answers": DECK_ANSWERS}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_events_arrive_signed_after_commit(
    worker, receiver, org_a, account_a, cmi_framework, chs_card, key_for
):
    client = key_for(org_a)
    hook = subscribe(client, receiver.url, ["assessment.submitted", "account.migrated"])
    client.post(
        "/api/v1/health-metrics/",
        [{"account": account_a.pk, "metric": "nps", "value": 50}],
        format="json",
    )
    submit(client, account_a)

    def arrived():
        """the receiver got the assessment and the migration"""
        return receiver.events("assessment.submitted") and receiver.events("account.migrated")

    wait_for(arrived)
    headers, body = next(
        (h, b) for h, b in receiver.requests if h["X-Ascend-Event"] == "assessment.submitted"
    )
    # The Standard Webhooks reference library, not this code, checks the signature.
    verified = Webhook(hook["secret"]).verify(body, dict(headers))
    assert verified == json.loads(body)
    tampered = body.replace(b'"assessment.submitted"', b'"assessment.tampered"')
    with pytest.raises(WebhookVerificationError):
        Webhook(hook["secret"]).verify(tampered, dict(headers))
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, dict(headers))
    event = json.loads(body)
    assert event["data"]["account"] == account_a.pk and round(event["data"]["cmi"], 1) == 2.4
    assert headers["webhook-id"] == event["id"]
    moved = receiver.events("account.migrated")[-1]["data"]
    assert (moved["from_segment"], moved["to_segment"]) == (None, "retain")


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_is_retried_and_every_attempt_logged(
    worker, receiver, org_a, account_a, cmi_framework, key_for, in_tenant
):
    client = key_for(org_a)
    subscribe(client, receiver.url, ["assessment.submitted"])
    receiver.failing = 2
    submit(client, account_a)

    def delivered():
        """the third attempt got through"""
        with in_tenant(org_a):
            return WebhookDelivery.objects.filter(status="delivered").exists()

    wait_for(delivered)
    [delivery] = client.get("/api/v1/webhook-deliveries/").json()["results"]
    assert [a["status_code"] for a in delivery["log"]] == [503, 503, 200]
    assert delivery["log"][0]["response_body"] == "down for maintenance"
    assert len({json.loads(b)["id"] for _, b in receiver.requests}) == 1  # the same event


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_is_down_gets_its_events_when_back(
    worker, org_a, account_a, cmi_framework, key_for, in_tenant
):
    down = Receiver()
    port, url = down.port, down.url
    down.stop()  # nothing listens on the port now
    client = key_for(org_a)
    subscribe(client, url, ["assessment.submitted"])
    submit(client, account_a)

    def refused_twice():
        """two attempts failed to connect"""
        with in_tenant(org_a):
            return WebhookDelivery.objects.get().attempts >= 2

    wait_for(refused_twice)
    back = Receiver(port)
    try:
        wait_for(lambda: back.events("assessment.submitted"), timeout=30)
    finally:
        back.stop()
    with in_tenant(org_a):
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "delivered"
        assert delivery.log.first().error  # the refused connection is in the log


@pytest.mark.django_db(transaction=True)
def test_a_delivery_can_be_sent_again_by_hand(
    worker, receiver, org_a, account_a, cmi_framework, key_for
):
    client = key_for(org_a)
    subscribe(client, receiver.url, ["assessment.submitted"])
    submit(client, account_a)
    wait_for(lambda: len(receiver.requests) == 1)
    [delivery] = client.get("/api/v1/webhook-deliveries/").json()["results"]
    assert client.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver/").status_code == 202
    wait_for(lambda: len(receiver.requests) == 2)
    ids = [json.loads(body)["id"] for _, body in receiver.requests]
    assert ids[0] == ids[1]


@pytest.mark.django_db
def test_endpoints_must_be_https_except_loopback_in_tests(org_a, key_for):
    client = key_for(org_a)
    plain = client.post(
        "/api/v1/webhooks/",
        {"url": "http://example.com/x", "events": ["account.migrated"]},
        format="json",
    )
    assert plain.status_code == 403 and "https" in errors(plain)["url"][0]
    unknown = client.post(
        "/api/v1/webhooks/", {"url": "https://example.com/x", "events": ["bogus"]}, format="json"
    )
    assert unknown.status_code == 400 and "events/0" in errors(unknown)


@pytest.mark.django_db
def test_only_owners_and_keys_manage_webhooks_and_only_their_own(
    org_a, org_b, mike, alice, key_for, in_tenant, client_for
):
    from rest_framework.test import APIClient

    from integrations.services import subscription_create

    with in_tenant(org_a):
        hook = subscription_create(
            organization=org_a, url="https://a.example/h", events=["account.migrated"]
        )
    manager = APIClient()
    manager.force_login(mike)
    assert manager.get("/api/v1/webhooks/").status_code == 403
    assert client_for(mike).get("/org/webhooks/").status_code == 403
    assert client_for(alice).get("/org/webhooks/").status_code == 200
    assert key_for(org_b).get(f"/api/v1/webhooks/{hook.pk}/").status_code == 404
    assert key_for(org_b).delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 404
    with in_tenant(org_a):
        assert WebhookSubscription.objects.filter(pk=hook.pk).exists()


def test_a_secret_from_before_standard_webhooks_keeps_signing_with_its_own_bytes():
    import base64
    import secrets

    from integrations.services import signing_key

    raw = secrets.token_bytes(32)
    legacy = "whsec_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert signing_key(legacy) == raw
    fresh = new_secret()
    assert signing_key(fresh) == base64.b64decode(fresh.removeprefix("whsec_"))
    assert len(signing_key(fresh)) == 32


def test_the_secret_is_in_the_creation_response_only(org_a, key_for):
    client = key_for(org_a)
    created = client.post(
        "/api/v1/webhooks/",
        {"url": "https://example.com/in", "events": ["account.migrated"]},
        format="json",
    )
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    hook = created.json()["id"]
    assert "secret" not in client.get(f"/api/v1/webhooks/{hook}/").json()
    assert all("secret" not in h for h in client.get("/api/v1/webhooks/").json()["results"])
    patched = client.patch(f"/api/v1/webhooks/{hook}/", {"is_active": False}, format="json")
    assert patched.status_code == 200 and "secret" not in patched.json()


@pytest.mark.django_db(transaction=True)
def test_in_process_a_failed_delivery_waits_instead_of_retrying_at_once(
    receiver, org_a, in_tenant, django_capture_on_commit_callbacks
):
    # The demo runs tasks in-process, where a countdown is not waited for: ten retries would
    # all run in the same second. The delivery is tried once and waits for Redeliver.
    from integrations.services import subscription_create
    from integrations.tasks import deliver

    receiver.failing = 10
    with in_tenant(org_a):
        hook = subscription_create(organization=org_a, url=receiver.url, events=["outcome.created"])
        delivery = WebhookDelivery.objects.create(
            organization=org_a, subscription=hook, event="outcome.created", payload={"a": 1}
        )
    with django_capture_on_commit_callbacks() as sent:
        assert deliver.apply(args=[str(org_a.pk), delivery.pk, 1]).get() == "pending"
    assert sent == []  # no retry was scheduled
    assert len(receiver.requests) == 1
    with in_tenant(org_a):
        delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.next_attempt_at is not None
