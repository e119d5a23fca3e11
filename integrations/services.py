"""Webhooks: events become deliveries in the writing transaction; Celery sends them after
commit, signed, retrying with exponential backoff; every attempt is logged."""

import base64
import binascii
import hashlib
import hmac
import http.client
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core.queue import task_send_on_commit
from tenancy.models import Organization

from . import egress
from .models import EVENTS, DeliveryAttempt, WebhookDelivery, WebhookSubscription, new_secret


def url_error(url: str) -> str | None:
    """Why webhooks cannot be sent to `url`, or None (integrations.egress)."""
    try:
        egress.target(url)
    except egress.Refused as refused:
        return str(refused)
    return None


@transaction.atomic
def subscription_create(
    *,
    organization: Organization,
    url: str,
    events: list[str],
    description: str = "",
    is_active: bool = True,
    by=None,
) -> WebhookSubscription:
    _check(url=url, events=events)
    return WebhookSubscription.objects.create(
        organization=organization,
        url=url,
        events=sorted(set(events)),
        description=description,
        is_active=is_active,
        created_by=by,
    )


def _check(*, url: str, events: list[str]) -> None:
    errors = {}
    if message := url_error(url):
        errors["url"] = message
    unknown = sorted(set(events) - set(EVENTS))
    if not events or unknown:
        errors["events"] = f"Choose from: {', '.join(EVENTS)}."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str,
    events: list[str],
    description: str = "",
    is_active: bool = True,
) -> WebhookSubscription:
    """Change an endpoint. Deliveries already queued keep the URL they were made for."""
    _check(url=url, events=events)
    subscription.url, subscription.events = url, sorted(set(events))
    subscription.description, subscription.is_active = description, is_active
    subscription.save(update_fields=["url", "events", "description", "is_active"])
    return subscription


def events_emit(
    *, organization_id, event: str, payloads: list[dict] | Callable[[], list[dict]]
) -> int:
    """Queue one delivery per payload and subscribed endpoint; sent after commit.

    `payloads` may be a function that builds them: it is called only when some endpoint
    subscribes to the event, so a bulk recompute of a tenant without webhooks builds none.
    """
    subscriptions = [
        s for s in WebhookSubscription.objects.filter(is_active=True) if event in s.events
    ]
    if not subscriptions:
        return 0
    payloads = payloads() if callable(payloads) else payloads
    if not payloads:
        return 0
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            organization_id=organization_id,
            subscription=subscription,
            url=subscription.url,
            event=event,
            payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
            next_attempt_at=now,
        )
        for subscription in subscriptions
        for payload in payloads
    )
    for delivery in deliveries:
        delivery_send(delivery, attempt=1)
    return len(deliveries)


def delivery_send(delivery: WebhookDelivery, *, attempt: int, countdown: float | None = None):
    """After commit, a task for this attempt of the delivery. Never raises: with the broker
    down the row waits, pending and due, for beat's relay (`deliveries_relay`)."""
    task_send_on_commit(
        "integrations.tasks.deliver",
        str(delivery.organization_id),
        delivery.pk,
        attempt,
        countdown=countdown,
    )


def deliveries_relay(*, now=None) -> int:
    """Send again the pending deliveries whose attempt is overdue by WEBHOOK_RELAY_GRACE_SECONDS:
    their task was lost (a broker outage, a worker killed after commit). Each is marked due
    one grace later, so a relay that cannot reach the broker either tries again then. A task
    sent twice for one attempt makes that attempt once (`delivery_attempt`)."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.WEBHOOK_RELAY_GRACE_SECONDS)
    overdue = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True).filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lt=now - grace
        )[:1000]
    )
    for delivery in overdue:
        delivery.next_attempt_at = now + grace
        delivery_send(delivery, attempt=delivery.attempts + 1)
    WebhookDelivery.objects.bulk_update(overdue, ["next_attempt_at"])
    return len(overdue)


def signing_key(secret: str) -> bytes:
    """The key a "whsec_…" secret carries (base64). Secrets made before Standard Webhooks
    were URL-safe base64 without padding: read so, they keep signing with the same bytes."""
    encoded = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


def signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks 1.0: `v1,` and the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>".
    Receivers check it with any Standard Webhooks library, and refuse old timestamps."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def envelope(*, event_id: str, event: str, created_at: str, data) -> bytes:
    """The body of every event sent: its id, name, time and data, as compact JSON."""
    return json.dumps(
        {"id": event_id, "event": event, "created_at": created_at, "data": data},
        separators=(",", ":"),
    ).encode()


def body_of(delivery: WebhookDelivery) -> bytes:
    return envelope(
        event_id=str(delivery.event_id),
        event=delivery.event,
        created_at=delivery.created_at.isoformat(),
        data=delivery.payload,
    )


def retry_delay(attempts: int) -> float:
    """Exponential backoff, never past the broker's visibility timeout."""
    ceiling = min(
        settings.WEBHOOK_RETRY_MAX_SECONDS,
        settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] - 60,
    )
    return min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1), ceiling)


def delivery_attempt(
    *, delivery: WebhookDelivery, number: int | None = None
) -> DeliveryAttempt | None:
    """POST the delivery once; returns the attempt, or None when it needs none: delivered,
    given up, or (with `number`) that attempt already made by another task."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))  # not the endpoint's row
        .select_related("subscription")
        .get(pk=delivery.pk)
    )
    if delivery.status != WebhookDelivery.Status.PENDING:
        return None
    if delivery.subscription is None:  # its endpoint was deleted while it waited
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.save(update_fields=["status"])
        return None
    if number is not None and delivery.attempts + 1 != number:
        return None
    answer = signed_post(
        delivery.subscription,
        event=delivery.event,
        event_id=str(delivery.event_id),
        body=body_of(delivery),
    )
    attempt = DeliveryAttempt(
        organization_id=delivery.organization_id,
        delivery=delivery,
        status_code=answer.status_code,
        response_body=answer.excerpt,
        error=answer.error,
        duration_ms=answer.duration_ms,
    )
    attempt.save()
    delivery.attempts += 1
    if answer.ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
    elif attempt.status_code == 410:
        # Standard Webhooks: 410 Gone asks never to be sent to again. The endpoint is paused,
        # and its deliveries stop; their history stays.
        delivery.status = WebhookDelivery.Status.FAILED
        subscription_gone(subscription_id=delivery.subscription.pk)
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.next_attempt_at = timezone.now() + timedelta(
            seconds=retry_delay(delivery.attempts)
        )
    delivery.save(update_fields=["attempts", "status", "delivered_at", "next_attempt_at"])
    return attempt


@dataclass(frozen=True)
class Answer:
    """What an endpoint answered one signed POST: its status and the start of its body, or
    why no answer came; and how long it took."""

    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_post(
    subscription: WebhookSubscription, *, event: str, event_id: str, body: bytes
) -> Answer:
    """POST `body` to the endpoint, signed with its secrets (Standard Webhooks), its address
    resolved and checked again now: the name may point elsewhere than at registration."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Ascend-Webhooks/1",
        "X-Ascend-Event": event,
        "webhook-id": event_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": " ".join(
            signature(secret, event_id, timestamp, body) for secret in signing_secrets(subscription)
        ),
    }
    status, excerpt, error = None, "", ""
    started = time.monotonic()
    try:
        answer = egress.post(
            egress.target(subscription.url), body, headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        )
        status, excerpt = answer.status, answer.excerpt
    except egress.Refused as refused:
        error = str(refused)[:300]
    except (OSError, http.client.HTTPException) as failure:
        error = (str(failure) or type(failure).__name__)[:300]
    return Answer(status, excerpt, error, int((time.monotonic() - started) * 1000))


TEST_EVENT = "webhook.test"


def subscription_ping(*, subscription: WebhookSubscription) -> Answer:
    """Send the endpoint a signed test event now and say what it answered. Nothing is stored
    and nothing is retried: it is for the owner who is looking at the answer."""
    event_id = str(uuid.uuid4())
    body = envelope(
        event_id=event_id,
        event=TEST_EVENT,
        created_at=timezone.now().isoformat(),
        data={"subscription": subscription.pk, "message": "A test event from Ascend."},
    )
    return signed_post(subscription, event=TEST_EVENT, event_id=event_id, body=body)


def signing_secrets(subscription: WebhookSubscription) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and during a rotation's
    overlap the one before it (Standard Webhooks: signatures separated by spaces)."""
    secrets = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > timezone.now():
        secrets.append(subscription.previous_secret)
    return secrets


MAX_OVERLAP_HOURS = 168


@transaction.atomic
def subscription_secret_rotate(
    *, subscription: WebhookSubscription, overlap_hours: int = 24
) -> WebhookSubscription:
    """A new signing secret; the old one keeps signing beside it for `overlap_hours` (0: it
    stops at once, for a secret that leaked)."""
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise ValueError(f"overlap_hours is 0 to {MAX_OVERLAP_HOURS}")
    subscription.previous_secret = subscription.secret if overlap_hours else ""
    subscription.previous_secret_expires_at = (
        timezone.now() + timedelta(hours=overlap_hours) if overlap_hours else None
    )
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete the endpoint. Its deliveries stay, with their attempts and the URL they went
    to; those still pending are given up (nothing will send them)."""
    WebhookDelivery.objects.filter(
        subscription=subscription, status=WebhookDelivery.Status.PENDING
    ).update(status=WebhookDelivery.Status.FAILED)
    subscription.delete()


def subscription_gone(*, subscription_id: int) -> None:
    """The receiver answered 410: pause the endpoint and give up its pending deliveries."""
    WebhookSubscription.objects.filter(pk=subscription_id).update(is_active=False)
    WebhookDelivery.objects.filter(
        subscription_id=subscription_id, status=WebhookDelivery.Status.PENDING
    ).update(status=WebhookDelivery.Status.FAILED)


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send again by hand, whatever happened before; the attempts so far stay in the log."""
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.delivered_at = None
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "delivered_at", "next_attempt_at"])
    delivery_send(delivery, attempt=1)
    return delivery
