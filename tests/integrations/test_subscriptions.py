"""What a subscription keeps and announces: `account.scores_changed`, a secret rotated with an
overlap, and delivery history that outlives the endpoint."""

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from integrations import services
from integrations.models import WebhookDelivery, WebhookSubscription

from ..conftest import uniform
from ..problems import errors
from ..recomputing import recompute_run

pytestmark = pytest.mark.django_db

# An `account.deleted` payload as accounts.services.account_delete sends it.
GONE = {"account": 1, "external_id": None, "name": "Gone", "deleted_at": "2026-12-01T00:00:00Z"}


def subscribe(org, in_tenant, events):
    with in_tenant(org):
        return services.subscription_create(
            organization=org, url="https://hooks.example/in", events=events
        )


def payloads(org, in_tenant, event):
    with in_tenant(org):
        return [d.payload for d in WebhookDelivery.objects.filter(event=event).order_by("id")]


def test_scores_changed_names_each_score_that_moved_with_before_and_after(
    org_a, account_a, placed, in_tenant
):
    subscribe(org_a, in_tenant, ["account.scores_changed"])
    placed(account_a, nps=50, answers=uniform(4))
    recompute_run(org_a.id, [account_a.pk])
    (first,) = payloads(org_a, in_tenant, "account.scores_changed")
    assert first["account"] == account_a.pk and first["external_id"] == account_a.external_id
    assert set(first["changes"]) == {"chs", "chs_level", "cmi", "cmi_tier", "segment"}
    assert first["changes"]["cmi"] == {"from": None, "to": 4.0}
    placed(account_a, answers=uniform(2))  # the CMI moves; the CHS does not
    recompute_run(org_a.id, [account_a.pk])
    second = payloads(org_a, in_tenant, "account.scores_changed")[-1]
    assert second["changes"]["cmi"] == {"from": 4.0, "to": 2.0}
    assert "chs" not in second["changes"] and "chs_level" not in second["changes"]
    recompute_run(org_a.id, [account_a.pk])  # nothing moved: nothing announced
    assert len(payloads(org_a, in_tenant, "account.scores_changed")) == 2


def _signed(subscription, delivery):
    """The headers and body the delivery is sent with, as the sending code builds them."""
    body = services.body_of(delivery)
    stamp = str(int(timezone.now().timestamp()))
    signature = " ".join(
        services.signature(s, str(delivery.event_id), stamp, body)
        for s in services.signing_secrets(subscription)
    )
    return body, {
        "webhook-id": str(delivery.event_id),
        "webhook-timestamp": stamp,
        "webhook-signature": signature,
    }


def test_a_rotated_secret_keeps_signing_during_its_overlap_only(
    org_a, account_a, key_for, in_tenant
):
    hook = subscribe(org_a, in_tenant, ["account.deleted"])
    old = hook.secret
    client = key_for(org_a)
    rotated = client.post(
        f"/api/v1/webhooks/{hook.pk}/rotate-secret/", {"overlap_hours": 2}, format="json"
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    assert "secret" not in client.get(f"/api/v1/webhooks/{hook.pk}/").json()
    with in_tenant(org_a):
        services.events_emit(organization_id=org_a.id, event="account.deleted", payloads=[GONE])
        hook.refresh_from_db()
        delivery = WebhookDelivery.objects.get()
        body, headers = _signed(hook, delivery)
        # Receivers with either secret accept it: the reference library checks each signature.
        assert Webhook(new).verify(body, headers) and Webhook(old).verify(body, headers)
        WebhookSubscription.objects.filter(pk=hook.pk).update(
            previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
        )
        hook.refresh_from_db()
        body, headers = _signed(hook, delivery)
    assert Webhook(new).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)
    leaked = client.post(
        f"/api/v1/webhooks/{hook.pk}/rotate-secret/", {"overlap_hours": 0}, format="json"
    )
    assert leaked.json()["previous_secret_expires_at"] is None
    with in_tenant(org_a):
        hook.refresh_from_db()
        assert services.signing_secrets(hook) == [leaked.json()["secret"]]
    too_long = client.post(
        f"/api/v1/webhooks/{hook.pk}/rotate-secret/", {"overlap_hours": 1000}, format="json"
    )
    assert too_long.status_code == 400 and "overlap_hours" in errors(too_long)


def test_a_signature_is_the_standard_webhooks_hmac_of_each_secret():
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    digest = hmac.new(b"k" * 32, b"id.1.{}", hashlib.sha256).digest()
    assert services.signature(secret, "id", "1", b"{}") == "v1," + base64.b64encode(digest).decode()


def test_deleting_an_endpoint_keeps_its_delivery_history(
    org_a, org_b, account_a, key_for, in_tenant
):
    hook = subscribe(org_a, in_tenant, ["account.deleted"])
    with in_tenant(org_a):
        services.events_emit(organization_id=org_a.id, event="account.deleted", payloads=[GONE])
    client = key_for(org_a)
    assert key_for(org_b).delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 404
    assert client.delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 204
    (kept,) = client.get("/api/v1/webhook-deliveries/").json()["results"]
    assert (kept["subscription"], kept["url"]) == (None, "https://hooks.example/in")
    assert kept["status"] == "failed"  # pending when its endpoint went: nothing will send it
    with in_tenant(org_a):
        delivery = WebhookDelivery.objects.get()
        assert services.delivery_attempt(delivery=delivery) is None
