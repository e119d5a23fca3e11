from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Account
from core.api import TEXT_MAX_LENGTH, StrictCharField
from core.moments import PastMomentField

from ..models import Assessment, Factor, Framework, Pillar, SurveyLink, Tier


class FactorOut(serializers.ModelSerializer):
    class Meta:
        model = Factor
        fields = [
            "key",
            "name",
            "question",
            "low",
            "level_2",
            "level_3",
            "level_4",
            "high",
            "direction",
        ]


class PillarOut(serializers.ModelSerializer):
    factors = FactorOut(many=True)

    class Meta:
        model = Pillar
        fields = ["key", "name", "weight", "factors"]


class TierOut(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ["name", "lower", "colour"]


class FrameworkOut(serializers.ModelSerializer):
    version = serializers.IntegerField(source="current_version.number")
    pillars = PillarOut(many=True, source="current_version.pillars")
    tiers = TierOut(many=True, source="current_version.tiers")

    class Meta:
        model = Framework
        fields = [
            "id",
            "name",
            "kind",
            "is_primary",
            "provider_level",
            "version",
            "pillars",
            "tiers",
        ]


@extend_schema_field(OpenApiTypes.INT)
class AccountField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Account.objects.all()


@extend_schema_field(OpenApiTypes.INT)
class FrameworkField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Framework.objects.select_related("current_version")


@extend_schema_field(
    {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True},
    }
)
class AnswersField(serializers.DictField):
    child = serializers.IntegerField(min_value=1, max_value=5, allow_null=True)


class AssessmentIn(serializers.Serializer):
    account = AccountField()
    framework = FrameworkField(
        required=False, help_text="Defaults to the organization's primary framework."
    )
    answers = AnswersField(allow_empty=False, help_text="Factor key → 1 to 5, or null for unknown.")
    comments = serializers.DictField(
        child=StrictCharField(allow_blank=True, max_length=TEXT_MAX_LENGTH), required=False
    )
    submitted_at = PastMomentField(
        required=False,
        help_text="When the assessment was made, to load past ones (ISO 8601, not in the "
        "future); defaults to now. The account's CMI is its latest assessment's.",
    )


class AssessmentOut(serializers.ModelSerializer):
    framework = serializers.IntegerField(source="version.framework_id")
    version = serializers.IntegerField(source="version.number")
    answers = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "account",
            "framework",
            "version",
            "status",
            "submitted_at",
            "cmi",
            "tier",
            "pillar_scores",
            "completeness",
            "is_partial",
            "answers",
        ]

    def get_answers(self, assessment) -> dict[str, int | None]:
        return {a.factor_key: a.score for a in assessment.answers.all()}


class SurveyLinkIn(serializers.Serializer):
    account = AccountField()
    framework = FrameworkField(
        required=False, help_text="Defaults to the organization's primary framework."
    )
    mode = serializers.ChoiceField(choices=SurveyLink.Mode.choices, default="simplified")
    valid_days = serializers.IntegerField(min_value=1, max_value=90, default=14)


class SurveyLinkOut(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The customer's survey; no login needed.")
    state = serializers.SerializerMethodField()

    class Meta:
        model = SurveyLink
        fields = [
            "id",
            "account",
            "framework",
            "mode",
            "url",
            "state",
            "expires_at",
            "revoked_at",
            "created_at",
        ]

    def get_url(self, link) -> str:
        from django.urls import reverse

        from ..surveys import survey_link_token

        path = reverse("maturity:survey", args=[survey_link_token(link)])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field({"type": "string", "enum": ["open", "revoked", "expired"]})
    def get_state(self, link) -> str:
        from django.utils import timezone

        if link.revoked_at is not None:
            return "revoked"
        return "expired" if link.expires_at <= timezone.now() else "open"
