"""An endpoint's own page: a test event with the receiver's answer, edit, secret rotation and
delete. Only loopback receivers are contacted."""

import pytest
from django.urls import reverse
from standardwebhooks import Webhook

from integrations import services
from integrations.models import WebhookDelivery, WebhookSubscription

from ..api.test_webhooks import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def hook(org_a, in_tenant, receiver):
    with in_tenant(org_a):
        return services.subscription_create(
            organization=org_a, url=receiver.url, events=["account.migrated"]
        )


def page(client, hook):
    return reverse("integrations:subscription", args=[hook.pk])


def test_a_test_event_shows_the_receivers_status_and_latency(
    alice, client_for, hook, receiver, org_a, in_tenant
):
    client = client_for(alice)
    response = client.post(reverse("integrations:test", args=[hook.pk]), follow=True)
    html = response.content.decode()
    assert "Your endpoint answered <strong>200</strong> in" in html and " ms" in html
    ((headers, body),) = receiver.requests
    assert headers["X-Ascend-Event"] == "webhook.test"
    event = Webhook(hook.secret).verify(body, headers)  # signed as every event is
    assert event["event"] == "webhook.test" and event["data"]["subscription"] == hook.pk
    with in_tenant(org_a):
        assert not WebhookDelivery.objects.exists()  # a test is shown, not kept
    assert "answered" not in client.get(page(client, hook)).content.decode()  # shown once


def test_a_failing_or_absent_receiver_is_said_plainly(alice, client_for, hook, receiver):
    client = client_for(alice)
    receiver.failing = 1
    html = client.post(reverse("integrations:test", args=[hook.pk]), follow=True).content.decode()
    assert "answered <strong>503</strong>" in html and "would be retried" in html
    assert "down for maintenance" in html
    receiver.stop()
    html = client.post(reverse("integrations:test", args=[hook.pk]), follow=True).content.decode()
    assert "No answer after" in html and "refused" in html.lower()


def test_an_edit_keeps_what_was_typed_when_the_url_is_refused(
    alice, client_for, hook, org_a, in_tenant
):
    client = client_for(alice)
    data = {"url": "https://intranet.example/in", "events": ["outcome.created"], "is_active": ""}
    html = client.post(page(client, hook), data).content.decode()
    assert "intranet.example/in" in html and "errorlist" in html
    with in_tenant(org_a):
        assert WebhookSubscription.objects.get().events == ["account.migrated"]
    data["url"] = "https://hooks.example/in"
    assert client.post(page(client, hook), data).status_code == 302
    with in_tenant(org_a):
        saved = WebhookSubscription.objects.get()
    assert (saved.url, saved.events, saved.is_active) == (
        "https://hooks.example/in",
        ["outcome.created"],
        False,
    )


def test_rotating_with_no_overlap_stops_the_old_secret_at_once(
    alice, client_for, hook, org_a, in_tenant
):
    client = client_for(alice)
    client.post(reverse("integrations:rotate", args=[hook.pk]), {"overlap_hours": "0"})
    with in_tenant(org_a):
        rotated = WebhookSubscription.objects.get()
        assert rotated.secret != hook.secret
        assert services.signing_secrets(rotated) == [rotated.secret]
    html = client.post(
        reverse("integrations:rotate", args=[hook.pk]), {"overlap_hours": "999"}, follow=True
    ).content.decode()
    assert "less than or equal to 168" in html


def test_deleting_an_endpoint_keeps_its_deliveries(alice, client_for, hook, org_a, in_tenant):
    with in_tenant(org_a):
        delivery = WebhookDelivery.objects.create(
            organization=org_a,
            subscription=hook,
            url=hook.url,
            event="account.migrated",
            payload={},
        )
    response = client_for(alice).post(reverse("integrations:delete", args=[hook.pk]), follow=True)
    assert "was deleted; its deliveries stay" in response.content.decode()
    with in_tenant(org_a):
        assert not WebhookSubscription.objects.exists()
        kept = WebhookDelivery.objects.get(pk=delivery.pk)
    assert kept.subscription is None and kept.status == WebhookDelivery.Status.FAILED
