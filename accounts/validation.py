"""How an incoming item names its account, for every batch the API and the imports check
(metric values, outcomes, assessments): by `account` (its id) or by `external_id`. The
batch's accounts are read once (`accounts_context`) into the serializer's context."""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from .models import Account

MISSING_ACCOUNT = "Give the account's id or its external_id."


def item_of(field: serializers.Field) -> Mapping[str, Any]:
    """The whole item a field is part of (the item serializer's run_validation keeps it)."""
    return getattr(field.parent, "item", {})


class AccountField(serializers.Field):
    """The account's id, among the batch's known ids."""

    def to_internal_value(self, data: Any) -> int:
        if type(data) is not int or data not in self.context["known_ids"]:
            raise serializers.ValidationError("No such account.", code="does_not_exist")
        return data


class ExternalIdField(serializers.Field):
    """The account's external_id, resolved to its id."""

    def to_internal_value(self, data: Any) -> int:
        if item_of(self).get("account") is not None:
            raise serializers.SkipField  # the id names the account; this is not looked at
        found = self.context["by_external"].get(data) if isinstance(data, str) else None
        if found is None:
            raise serializers.ValidationError(
                "No account has this external_id.", code="does_not_exist"
            )
        return int(found)


def accounts_context(items: list[Any]) -> dict[str, Any]:
    """The accounts `items` name, read once for the batch: known ids, and external id → id."""
    dicts = [item for item in items if isinstance(item, dict)]
    ids = [i for i in (d.get("account") for d in dicts) if type(i) is int]
    external = [
        e for e in (d.get("external_id") for d in dicts) if isinstance(e, str) and "\x00" not in e
    ]
    return {
        "known_ids": set(Account.objects.filter(pk__in=ids).values_list("pk", flat=True)),
        "by_external": dict(
            Account.objects.filter(external_id__in=external).values_list("external_id", "pk")
        ),
    }


class AccountItem(serializers.Serializer):
    """An item that names its account by `account` (id) or `external_id`: every field is
    checked at once, plus the one rule across two. Subclasses add their own fields and
    checks after `super().to_internal_value`."""

    default_error_messages = {"invalid": "Each item is an object."}

    account = AccountField(required=False, allow_null=True)
    external_id = ExternalIdField(required=False, allow_null=True)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        self.item = data if isinstance(data, Mapping) else {}  # what item_of reads
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        named = isinstance(data, Mapping) and (
            data.get("account") is not None or data.get("external_id") is not None
        )
        try:
            attrs = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(data, Mapping) and not named and isinstance(error.detail, dict):
                error.detail.setdefault("account", [ErrorDetail(MISSING_ACCOUNT)])
            raise
        if not named:
            raise serializers.ValidationError({"account": [MISSING_ACCOUNT]})
        if attrs.get("account") is not None:
            attrs.pop("external_id", None)  # the id wins, as the docs say
        return attrs

    @staticmethod
    def account_of(attrs: Mapping[str, Any]) -> int:
        return attrs.get("account") or attrs["external_id"]
