"""What each webhook event's `data` holds, as the schema publishes it: a delivery's `payload`
is one of these, and every receiver can type what it is sent.

The emitting apps build their payloads as plain dicts (a recompute announces thousands at
once); these serializers are the public contract only. Every delivery an API test lists is
validated against it (tests/served_schema.py), and tests/integrations/test_payloads.py makes
each app emit its event.
"""

from drf_spectacular.utils import (
    OpenApiResponse,
    OpenApiWebhook,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers

from core.derivation import CauseKind
from health.api.serializers import RawValueField
from outcomes.models import Outcome

from ..services import TEST_EVENT


class Subject(serializers.Serializer):
    account = serializers.IntegerField(help_text="The account's id.")
    external_id = serializers.CharField(allow_null=True, help_text="The account's CRM id.")


# Not an enum: OpenAPI 3.0 has no nullable enum that Redocly accepts.
CAUSE_HELP = "Why the accounts were recomputed: {}; null for a manual recompute.".format(
    ", ".join(f"`{kind}`" for kind in CauseKind.values if kind)
)


class Caused(Subject):
    cause = serializers.CharField(allow_null=True, help_text=CAUSE_HELP)
    cause_id = serializers.IntegerField(
        allow_null=True, help_text="The assessment, scorecard or override that caused it."
    )
    occurred_at = serializers.DateTimeField()


class AccountDeletedPayload(Subject):
    name = serializers.CharField()
    deleted_at = serializers.DateTimeField()


class AccountMigratedPayload(Caused):
    from_segment = serializers.CharField(allow_null=True, help_text="The cell it left.")
    to_segment = serializers.CharField(allow_null=True, help_text="The cell it entered.")


MOVED = "A score (a number), a level, tier or cell (a name), or null where there was none."


class ScoreMove(serializers.Serializer):
    # `from` is a keyword: the field is declared under another name and renamed below.
    was = RawValueField(help_text=MOVED)
    to = RawValueField(help_text=MOVED)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("was")
        return fields


class ScoreMoves(serializers.Serializer):
    """Only the scores that moved are present."""

    chs = ScoreMove(required=False)
    chs_level = ScoreMove(required=False)
    cmi = ScoreMove(required=False)
    cmi_tier = ScoreMove(required=False)
    segment = ScoreMove(required=False, help_text="The cell.")


class ScoresChangedPayload(Caused):
    changes = ScoreMoves()


class AssessmentSubmittedPayload(Subject):
    assessment = serializers.IntegerField()
    framework = serializers.IntegerField()
    cmi = serializers.FloatField(allow_null=True)
    tier = serializers.CharField(allow_blank=True)
    pillar_scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="Each pillar's average, by key."
    )
    completeness = serializers.FloatField()
    submitted_at = serializers.DateTimeField()


class LevelChangedPayload(Subject):
    from_level = serializers.CharField(allow_null=True)
    to_level = serializers.CharField(allow_null=True)
    score = serializers.FloatField(allow_null=True, help_text="The CHS.")
    occurred_at = serializers.DateTimeField()


class OutcomeCreatedPayload(Subject):
    outcome = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Outcome.Kind.choices)
    occurred_on = serializers.DateField()
    arr_before = serializers.DecimalField(max_digits=14, decimal_places=2)
    arr_after = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason = serializers.CharField(allow_blank=True)
    # A declared field (the metaclass takes it), not Field.source, which stubs cannot tell.
    source = serializers.ChoiceField(choices=Outcome.Source.choices)  # type: ignore[assignment]


class TestPayload(serializers.Serializer):
    subscription = serializers.IntegerField()
    message = serializers.CharField()


PAYLOADS: dict[str, type[serializers.Serializer]] = {
    "account.deleted": AccountDeletedPayload,
    "account.migrated": AccountMigratedPayload,
    "account.scores_changed": ScoresChangedPayload,
    "assessment.submitted": AssessmentSubmittedPayload,
    "health.level_changed": LevelChangedPayload,
    "outcome.created": OutcomeCreatedPayload,
}

# A delivery's payload: one of the events' (their required fields tell them apart).
EventPayload = PolymorphicProxySerializer(
    component_name="EventPayload",
    serializers=list(PAYLOADS.values()),
    resource_type_field_name=None,
)


def envelope(event: str, payload: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The body POSTed for `event` (integrations.services.envelope)."""
    name = "".join(part.title() for part in event.replace("_", ".").split(".")) + "Event"
    return type(
        name,
        (serializers.Serializer,),
        {
            "id": serializers.UUIDField(
                help_text="Also in the webhook-id header: deduplicate on it."
            ),
            "event": serializers.ChoiceField(choices=[event]),
            "created_at": serializers.DateTimeField(),
            "data": payload(),
            "__module__": __name__,
        },
    )


SIGNED = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The event's id, the same on every retry: deduplicate on it.",
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "integer"},
        "description": "Seconds since the epoch when this attempt was signed.",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Standard Webhooks 1.0: space-separated `v1,<base64 HMAC-SHA256>` of "
        "`{webhook-id}.{webhook-timestamp}.{body}`, keyed with the secret's bytes; two during "
        "a secret rotation's overlap.",
    },
]
ANSWERS = {
    "2XX": OpenApiResponse(description="Received. Anything else is retried with backoff."),
    "410": OpenApiResponse(description="Gone: the endpoint is paused and is sent nothing more."),
}
DESCRIPTIONS = {
    "account.deleted": "An account was deleted. Its tombstone is in /api/v1/account-deletions/.",
    "account.migrated": "An account moved from one cell of the grid to another.",
    "account.scores_changed": "An account's CHS, CHS level, CMI, CMI tier or cell moved.",
    "assessment.submitted": "A maturity assessment was submitted.",
    "health.level_changed": "An account's CHS level changed.",
    "outcome.created": "A renewal outcome was recorded.",
    TEST_EVENT: 'Sent by "Send a test event": it is never retried or stored.',
}


def _webhook(event: str, payload: type[serializers.Serializer]) -> OpenApiWebhook:
    return OpenApiWebhook(
        name=event,
        decorator=extend_schema(
            operation_id=f"webhook_{event.replace('.', '_')}",
            summary=event,
            description=DESCRIPTIONS[event],
            request=envelope(event, payload),
            responses=ANSWERS,
            tags=["webhooks"],
        ),
    )


# SPECTACULAR_SETTINGS["WEBHOOKS"]: what Ascend POSTs to a subscribed endpoint, per event.
WEBHOOKS = [
    *(_webhook(event, payload) for event, payload in PAYLOADS.items()),
    _webhook(TEST_EVENT, TestPayload),
]


def webhooks_published(result, generator, request, public):
    """drf-spectacular postprocessing hook: the webhooks with the headers that sign them
    (drf-spectacular drops a webhook's parameters), as `x-webhooks`: the schema is OpenAPI
    3.0, where `webhooks` (3.1) is not a field, and Redoc and Redocly read the extension."""
    webhooks = result.pop("webhooks", {})
    for item in webhooks.values():
        for operation in item.values():
            operation["parameters"] = SIGNED
            operation["security"] = []  # signed (webhook-signature), not authenticated
    if webhooks:
        result["x-webhooks"] = webhooks
    return result
