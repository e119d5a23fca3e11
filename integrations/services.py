"""Webhooks: events become deliveries in the writing transaction; Celery sends them after
commit, signed, retrying with exponential backoff; every attempt is logged."""

import contextlib
import hashlib
import hmac
import ipaddress
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core.queue import task_send_on_commit
from tenancy.models import Organization

from .models import EVENTS, DeliveryAttempt, WebhookDelivery, WebhookSubscription

MAX_RESPONSE_LOGGED = 2000


def url_error(url: str) -> str | None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return None
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if parts.scheme == "http" and loopback and settings.WEBHOOKS_ALLOW_LOOPBACK_HTTP:
        return None
    return "Webhook endpoints must use https://."


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
    errors = {}
    if message := url_error(url):
        errors["url"] = message
    unknown = sorted(set(events) - set(EVENTS))
    if not events or unknown:
        errors["events"] = f"Choose from: {', '.join(EVENTS)}."
    if errors:
        raise ValidationError(errors)
    return WebhookSubscription.objects.create(
        organization=organization,
        url=url,
        events=sorted(set(events)),
        description=description,
        is_active=is_active,
        created_by=by,
    )


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
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            organization_id=organization_id,
            subscription=subscription,
            event=event,
            payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
        )
        for subscription in subscriptions
        for payload in payloads
    )
    for delivery in deliveries:
        task_send_on_commit("integrations.tasks.deliver", str(organization_id), delivery.pk)
    return len(deliveries)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>": receivers reject old timestamps to stop replays."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(
        {
            "id": str(delivery.event_id),
            "event": delivery.event,
            "created_at": delivery.created_at.isoformat(),
            "data": delivery.payload,
        },
        separators=(",", ":"),
    ).encode()


def retry_delay(attempts: int) -> float:
    """Exponential backoff, never past the broker's visibility timeout."""
    ceiling = min(
        settings.WEBHOOK_RETRY_MAX_SECONDS,
        settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] - 60,
    )
    return min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1), ceiling)


def delivery_attempt(*, delivery: WebhookDelivery) -> DeliveryAttempt | None:
    """POST the delivery once; returns the attempt, or None when it needs none."""
    delivery = (
        WebhookDelivery.objects.select_for_update()
        .select_related("subscription")
        .get(pk=delivery.pk)
    )
    if delivery.status != WebhookDelivery.Status.PENDING:
        return None
    body = body_of(delivery)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        delivery.subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Ascend-Webhooks/1",
            "X-Ascend-Event": delivery.event,
            "X-Ascend-Delivery": str(delivery.event_id),
            "X-Ascend-Timestamp": timestamp,
            "X-Ascend-Signature": signature(delivery.subscription.secret, timestamp, body),
        },
    )
    attempt = DeliveryAttempt(organization_id=delivery.organization_id, delivery=delivery)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:
            attempt.status_code = answer.status
            attempt.response_body = answer.read(MAX_RESPONSE_LOGGED).decode(errors="replace")
    except urllib.error.HTTPError as error:
        attempt.status_code = error.code
        attempt.response_body = error.read(MAX_RESPONSE_LOGGED).decode(errors="replace")
    except (urllib.error.URLError, OSError) as error:
        attempt.error = str(getattr(error, "reason", error))[:300]
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.save()
    delivery.attempts += 1
    if attempt.status_code is not None and 200 <= attempt.status_code < 300:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    delivery.save(update_fields=["attempts", "status", "delivered_at"])
    return attempt


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send again by hand, whatever happened before; the attempts so far stay in the log."""
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.delivered_at = None
    delivery.save(update_fields=["status", "attempts", "delivered_at"])
    task_send_on_commit("integrations.tasks.deliver", str(delivery.organization_id), delivery.pk)
    return delivery
