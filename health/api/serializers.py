from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from accounts.models import Account
from core.api import BIGINT, TEXT_MAX_LENGTH, NonBlankCharField

from ..models import HealthOverride, HealthSnapshot, Measure, MetricValue, Scorecard
from ..selectors import scorecard_spec
from ..validation import VALUE_BOUND

_NUMBER = {"type": "number"}
_BOUND = {"type": "number", "nullable": True, "description": "null: no bound."}
# A measure's rule parameters, by rule (health.scoring.points reads them).
RULE_PARAMS = {
    "anyOf": [
        {
            "title": "BandsParams",
            "type": "object",
            "required": ["bands"],
            "properties": {
                "bands": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["points"],
                        "properties": {"from": _BOUND, "to": _BOUND, "points": _NUMBER},
                    },
                }
            },
        },
        {
            "title": "LinearParams",
            "type": "object",
            "required": ["from", "to"],
            "properties": {"from": _NUMBER, "to": _NUMBER},
        },
        {
            "title": "CategoricalParams",
            "type": "object",
            "required": ["map"],
            "properties": {"map": {"type": "object", "additionalProperties": _NUMBER}},
        },
        {
            "title": "RecencyParams",
            "type": "object",
            "required": ["full_days", "zero_days"],
            "properties": {"full_days": _NUMBER, "zero_days": _NUMBER},
        },
    ],
    "description": "By `rule`: bands (from/to/points rows), linear (from, to), categorical "
    "(value → points), recency (full_days, zero_days).",
}


@extend_schema_field(RULE_PARAMS)
class RuleParamsField(serializers.JSONField):
    pass


class MeasureOut(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    metric = serializers.CharField(help_text="The metric key this measure reads.")
    weight = serializers.FloatField(help_text="Percent of its group.")
    rule = serializers.ChoiceField(choices=Measure.Rule.choices)
    params = RuleParamsField()
    stale_after_days = serializers.IntegerField(allow_null=True)
    manual = serializers.BooleanField()


class GroupOut(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    weight = serializers.FloatField(help_text="Percent of the score.")
    measures = MeasureOut(many=True)


class LevelOut(serializers.Serializer):
    name = serializers.CharField()
    lower = serializers.FloatField(help_text="The level runs from this score up.")
    colour = serializers.CharField()


class ScorecardOut(serializers.ModelSerializer):
    groups = serializers.SerializerMethodField()
    levels = serializers.SerializerMethodField()

    class Meta:
        model = Scorecard
        fields = ["id", "name", "is_active", "groups", "levels"]

    @extend_schema_field(GroupOut(many=True))
    def get_groups(self, scorecard) -> list[dict]:
        return scorecard_spec(scorecard)["groups"]

    @extend_schema_field(LevelOut(many=True))
    def get_levels(self, scorecard) -> list[dict]:
        return scorecard_spec(scorecard)["levels"]


@extend_schema_field(
    {
        "anyOf": [
            {"type": "number", "nullable": True, "minimum": -VALUE_BOUND, "maximum": VALUE_BOUND},
            {"type": "string"},
        ],
        "description": "A number, or one of the measure's categories for a categorical one; "
        "null only for a recency measure (the observation itself is the event).",
    }
)
class MetricValueField(serializers.JSONField):
    pass


class _MetricItem(serializers.Serializer):
    # The schema of one item; health.validation.MetricItem is what checks it.
    metric = NonBlankCharField(help_text="A metric key read by the active scorecard.")
    value = MetricValueField()
    observed_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")


class MetricByAccount(_MetricItem):
    account = serializers.IntegerField(help_text="The account's id.")


class MetricByExternalId(_MetricItem):
    external_id = NonBlankCharField(help_text="The account's CRM id (its external_id).")


# One item names its account by id or by CRM id (the id wins when both are sent).
MetricIn = PolymorphicProxySerializer(
    component_name="MetricIn",
    serializers=[MetricByAccount, MetricByExternalId],
    resource_type_field_name=None,
    many=True,
)


@extend_schema_field(
    {
        "anyOf": [{"type": "number", "nullable": True}, {"type": "string", "nullable": True}],
        "description": "The value scored: a number, a category, or null when missing.",
    }
)
class RawValueField(serializers.JSONField):
    pass


class MetricValueOut(serializers.ModelSerializer):
    class Meta:
        model = MetricValue
        fields = [
            "id",
            "account",
            "metric",
            "number",
            "text",
            "observed_at",
            "source",
            "created_at",
        ]
        extra_kwargs = {
            "number": {"help_text": "The value, for numeric measures; null for categories."},
            "text": {"help_text": "The category, for categorical measures; empty otherwise."},
        }


class DriverOut(serializers.Serializer):
    measure = serializers.CharField()
    name = serializers.CharField()
    group = serializers.CharField()
    metric = serializers.CharField()
    raw = RawValueField(read_only=True)
    status = serializers.ChoiceField(choices=["ok", "missing", "stale", "unscorable"])
    points = serializers.FloatField(allow_null=True)
    weight = serializers.FloatField()
    contribution = serializers.FloatField()
    observed_at = serializers.DateTimeField(allow_null=True)


class HealthOut(serializers.Serializer):
    score = serializers.FloatField(allow_null=True, help_text="0-100; the override's if active.")
    computed_score = serializers.FloatField(allow_null=True, source="computed")
    level = serializers.CharField(allow_blank=True)
    completeness = serializers.FloatField(help_text="Share (0-1) of the scorecard with data.")
    stale = serializers.BooleanField()
    overridden = serializers.SerializerMethodField()
    breakdown = DriverOut(many=True, source="drivers")

    def get_overridden(self, explanation) -> bool:
        return explanation.override is not None


class SnapshotOut(serializers.ModelSerializer):
    class Meta:
        model = HealthSnapshot
        fields = ["id", "score", "level", "completeness", "stale", "overridden", "taken_at"]


@extend_schema_field({"type": "integer", "format": "int64", "minimum": -BIGINT, "maximum": BIGINT})
class AccountIdField(serializers.PrimaryKeyRelatedField):
    """An account of this organization, by id (another's, or none: 404)."""

    def get_queryset(self):
        return Account.objects.all()


class OverrideIn(serializers.Serializer):
    account = AccountIdField()
    score = serializers.FloatField(min_value=0, max_value=100)
    reason = NonBlankCharField(max_length=TEXT_MAX_LENGTH, help_text="Why, for the audit.")
    expires_at = serializers.DateTimeField(
        help_text="In the future; the computed score applies again after it."
    )


class OverrideOut(serializers.ModelSerializer):
    created_by_email = serializers.CharField(
        source="created_by.email", allow_null=True, read_only=True, default=None
    )
    active = serializers.SerializerMethodField()

    class Meta:
        model = HealthOverride
        fields = [
            "id",
            "account",
            "score",
            "reason",
            "expires_at",
            "created_at",
            "ended_at",
            "created_by_email",
            "active",
        ]

    def get_active(self, override) -> bool:
        from django.utils import timezone

        return override.ended_at is None and override.expires_at > timezone.now()
