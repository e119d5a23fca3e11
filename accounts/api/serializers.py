from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import BlankAsNullField, ModelSerializer, NonBlankCharField
from tenancy.models import Membership, Role

from ..models import Account, AccountDeletion
from ..permissions import acting_membership, owner_change_error


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "pattern": r"^[^\u0000]*$",
        "description": "The CSM's email; null or empty for none.",
    }
)
class CsmField(serializers.SlugRelatedField):
    """The account's CSM, by email, among the organization's non-viewer members."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="email", **kwargs)

    def get_queryset(self):
        owners = Membership.objects.exclude(role=Role.VIEWER).values_list("user_id", flat=True)
        return get_user_model().objects.filter(pk__in=owners)

    def to_internal_value(self, data):
        # A bulk request looks its CSMs up once (context "csms": email → user), not per item.
        known = self.context.get("csms")
        if known is None or not isinstance(data, str):
            return super().to_internal_value(data)
        if data not in known:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return known[data]

    @classmethod
    def preload(cls) -> dict:
        """The context entry for a bulk request: every possible CSM by email, in one query."""
        return {user.email: user for user in cls().get_queryset()}


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^\d{1,12}(\.\d{1,2})?$",
        "example": "45000.00",
    }
)
class MoneyField(serializers.DecimalField):
    """ARR: up to 12 digits before the point and 2 after, never negative."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=2, min_value=0, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):  # as declared: a number would lose cents to floats
            self.fail("invalid")
        return super().to_internal_value(data)


class AccountSerializer(ModelSerializer):
    name = NonBlankCharField(max_length=200)
    arr = MoneyField(required=False)
    owner_csm = CsmField(required=False, allow_null=True)
    segment = BlankAsNullField(help_text="The grid cell's key; null: unsegmented.")
    external_id = NonBlankCharField(max_length=100, required=False, allow_null=True)

    def validate_owner_csm(self, owner):
        request = self.context.get("request")
        if request is not None:
            membership = acting_membership(request)
            owner_id = owner.pk if owner is not None else None
            if message := owner_change_error(membership, self.instance, owner_id):
                raise serializers.ValidationError(message)
        return owner

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "external_id",
            "industry",
            "isic_code",
            "size_band",
            "region",
            "lifecycle_stage",
            "arr",
            "renewal_date",
            "owner_csm",
            "cmi",
            "cmi_tier",
            "chs",
            "chs_level",
            "segment",
            "created_at",
            "updated_at",
            "chs_updated_at",
            "cmi_updated_at",
            "segment_updated_at",
        ]
        read_only_fields = [
            "id",
            "cmi",
            "cmi_tier",
            "chs",
            "chs_level",
            "segment",
            "created_at",
            "updated_at",
            "chs_updated_at",
            "cmi_updated_at",
            "segment_updated_at",
        ]
        extra_kwargs = {
            "updated_at": {"help_text": "When the account's own fields last changed."},
            "chs_updated_at": {"help_text": "When the CHS or its level last changed."},
            "cmi_updated_at": {"help_text": "When the CMI or its tier last changed."},
            "segment_updated_at": {"help_text": "When the grid cell last changed."},
        }

    def validate_external_id(self, value):
        others = Account.objects.filter(external_id=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if value is not None and others.exists():
            raise serializers.ValidationError(
                "Another account already has this external_id.", code="conflict"
            )
        return value


class AccountBulkItem(AccountSerializer):
    """One item of a bulk upsert: the external_id is what it is matched on."""

    external_id = NonBlankCharField(max_length=100)

    def validate_external_id(self, value):
        # The request matched this id to its account (the instance) or to none, and refused
        # an id given twice: no other account can hold it, so no query per item.
        return value


class AccountChangesOut(serializers.Serializer):
    results = AccountSerializer(many=True)
    next = serializers.CharField(help_text="Pass as ?since= to get the changes after these.")
    more = serializers.BooleanField(help_text="True when another page is ready now.")


class AccountDeletionSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", help_text="The deleted account's id.")

    class Meta:
        model = AccountDeletion
        fields = ["id", "account", "external_id", "name", "deleted_at"]


class AccountByExternalIdSerializer(AccountSerializer):
    """The body of a PUT to /by-external-id/{external_id}/: the path names the CRM id."""

    class Meta(AccountSerializer.Meta):
        fields = [f for f in AccountSerializer.Meta.fields if f != "external_id"]
