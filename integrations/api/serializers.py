from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import ModelSerializer

from .. import egress
from ..models import EVENTS, DeliveryAttempt, WebhookDelivery, WebhookSubscription
from ..services import MAX_OVERLAP_HOURS
from .payloads import EventPayload


class SubscriptionSerializer(ModelSerializer):
    url = serializers.CharField(
        max_length=egress.URL_MAX_LENGTH,
        trim_whitespace=False,  # " https://…" is refused as the schema's pattern says
        validators=[RegexValidator(egress.URL_PATTERN)],  # for the schema; egress checks it
        help_text="Where deliveries are sent: https://, a public host.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENTS), allow_empty=False, min_length=1
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "is_active", "description", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_url(self, value):
        try:
            egress.target(value)
        except egress.Refused as refused:
            raise serializers.ValidationError(str(refused), code=refused.code) from None
        return value


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    """The one response that carries the signing secret: keep it, it is not shown again."""

    secret = serializers.CharField(
        read_only=True,
        help_text="The Standard Webhooks signing secret (whsec_…). Only this response has it.",
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class SecretRotationSerializer(serializers.Serializer):
    overlap_hours = serializers.IntegerField(
        min_value=0,
        max_value=MAX_OVERLAP_HOURS,
        default=24,
        help_text="How long the old secret keeps signing beside the new one (0: not at all, "
        "for a secret that leaked).",
    )


class SecretRotatedSerializer(SubscriptionCreatedSerializer):
    """The rotation's answer: the new secret, shown this once, and when the old one stops."""

    previous_secret_expires_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta(SubscriptionCreatedSerializer.Meta):
        fields = [*SubscriptionCreatedSerializer.Meta.fields, "previous_secret_expires_at"]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["attempted_at", "status_code", "response_body", "error", "duration_ms"]


@extend_schema_field(EventPayload)
class PayloadField(serializers.JSONField):
    pass


class DeliverySerializer(serializers.ModelSerializer):
    log = AttemptSerializer(many=True, read_only=True)
    payload = PayloadField(read_only=True, help_text="The event's `data`, as it was sent.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "url",
            "event",
            "event_id",
            "payload",
            "status",
            "attempts",
            "created_at",
            "delivered_at",
            "log",
        ]
