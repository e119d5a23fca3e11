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
    external_id = serializers.CharField(source="account.external_id", allow_null=True)

    class Meta:
        model = TierMigration
        fields = [
            "id",
            "account",
            "external_id",
            "from_segment",
            "to_segment",
            "cause",
            "cause_id",
            "occurred_at",
        ]


class FeedOut(serializers.Serializer):
    results = MigrationOut(many=True)
    next = serializers.CharField(help_text="Pass as ?since= to get the events after these.")
    more = serializers.BooleanField(help_text="True when another page is ready now.")
