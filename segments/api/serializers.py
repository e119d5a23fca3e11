from rest_framework import serializers

from ..models import TierMigration


class CellOut(serializers.Serializer):
    key = serializers.CharField(allow_blank=True)
    name = serializers.CharField()
    action = serializers.CharField(allow_blank=True)
    count = serializers.IntegerField()
    share = serializers.FloatField()
    arr = serializers.FloatField()
    arr_share = serializers.FloatField()


class GridOut(serializers.Serializer):
    view = serializers.CharField()
    accounts = serializers.IntegerField()
    arr = serializers.FloatField()
    cells = CellOut(many=True)
    unsegmented = CellOut()


class MigrationOut(serializers.ModelSerializer):
    """A migration as the feed serves it: the account it was written for, named by the
    ids the CRM knows, whether or not the account still exists."""

    account = serializers.SerializerMethodField(
        help_text="The account's id, kept after it is deleted."
    )
    external_id = serializers.SerializerMethodField(help_text="The account's CRM id.")
    account_deleted_at = serializers.DateTimeField(
        source="deletion.deleted_at",
        allow_null=True,
        read_only=True,
        help_text="When the account was deleted; null while it exists. Its deletion is also "
        "in /api/v1/account-deletions/.",
    )

    class Meta:
        model = TierMigration
        fields = [
            "id",
            "account",
            "external_id",
            "account_deleted_at",
            "from_segment",
            "to_segment",
            "cause",
            "cause_id",
            "occurred_at",
        ]

    def get_account(self, migration: TierMigration) -> int:
        return migration.account_ids[0]

    def get_external_id(self, migration: TierMigration) -> str | None:
        return migration.account_ids[1]


class FeedOut(serializers.Serializer):
    results = MigrationOut(many=True)
    next = serializers.CharField(help_text="Pass as ?since= to get the events after these.")
    more = serializers.BooleanField(help_text="True when another page is ready now.")
