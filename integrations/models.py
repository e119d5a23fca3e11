import base64
import secrets
import uuid

from django.conf import settings
from django.db import models

from core.audit import audited
from tenancy.models import TenantModel

EVENTS = (
    "account.deleted",
    "account.migrated",
    "account.scores_changed",
    "assessment.submitted",
    "health.level_changed",
    "outcome.created",
)


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and the base64 of 32 random bytes, the key."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@audited(
    fields=[
        "organization",
        "url",
        "events",
        "is_active",
        "description",
        "previous_secret_expires_at",
        "created_by",
    ]
)
class WebhookSubscription(TenantModel):
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event names this endpoint receives.")
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    # After a rotation, the secret before it still signs (a second signature) until then:
    # receivers switch secrets without missing an event.
    previous_secret = models.CharField(max_length=80, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.url


class WebhookDelivery(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    # Null once the endpoint is deleted: its deliveries' history stays, with the URL they
    # were sent to.
    subscription = models.ForeignKey(
        WebhookSubscription,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    url = models.CharField(max_length=500, blank=True, help_text="Where it was sent.")
    event = models.CharField(max_length=40)
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When the next attempt is due: the row is its own outbox entry, and beat's relay
    # (integrations.tasks.relay) sends again a pending one whose task is overdue (lost).
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "id"]),  # the API's pages, newest first
            models.Index(
                fields=["organization", "next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_due",
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.subscription} ({self.status})"


class DeliveryAttempt(TenantModel):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempted_at", "id"]
