"""The one check of an outcome, for the API, the CSV import and the browser's form.

An item names its account by `account` (id) or `external_id`, as a metric value does; the
batch's accounts are read once into the serializer's context.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from accounts.api.serializers import MoneyField
from accounts.models import Account
from core.batches import items_checked
from core.moments import PastDateField
from health.validation import AccountField, ExternalIdField

from .models import Outcome

MISSING_ACCOUNT = "Give the account's id or its external_id."
EARLIEST = date(1970, 1, 1)


class OutcomeItem(serializers.Serializer):
    """One outcome: {account | external_id, kind, occurred_on, arr_before, arr_after, reason}."""

    default_error_messages = {"invalid": "Each item is an object."}

    account = AccountField(required=False, allow_null=True)
    external_id = ExternalIdField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=Outcome.Kind.choices)
    occurred_on = PastDateField(input_formats=["%Y-%m-%d"])
    arr_before = MoneyField()
    arr_after = MoneyField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_occurred_on(self, day: date) -> date:
        if day < EARLIEST:  # the backtest's t0 lies a horizon before it, in the calendar
            raise serializers.ValidationError(
                f"A renewal from {EARLIEST:%Y-%m-%d} on.", code="in_the_past"
            )
        return day

    def run_validation(self, data: Any = serializers.empty) -> Any:
        self.item = data if isinstance(data, Mapping) else {}  # what ExternalIdField reads
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
        problems = {}
        if attrs["kind"] == Outcome.Kind.CHURNED and attrs["arr_after"] != 0:
            problems["arr_after"] = "A churned account keeps no ARR: give 0."
        if attrs["kind"] == Outcome.Kind.EXPANDED and attrs["arr_after"] <= attrs["arr_before"]:
            problems["arr_after"] = "An expansion ends above arr_before."
        if attrs["kind"] == Outcome.Kind.CONTRACTED and not (
            0 < attrs["arr_after"] < attrs["arr_before"]
        ):
            problems["arr_after"] = "A contraction ends above 0 and below arr_before."
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


def outcomes_context(items: list[Any]) -> dict[str, Any]:
    """What validating `items` needs of the tenant, read once for the batch."""
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


def outcomes_validate(items: list[Any]) -> tuple[list[Outcome], dict[int, dict[str, str]]]:
    """Check a batch. Returns unsaved Outcomes (organization and source still to set) and, by
    item position, a message per field for the bad items."""
    good, errors = items_checked(OutcomeItem(context=outcomes_context(items)), items)
    outcomes: list[Outcome] = []
    for _, data in good:
        outcomes.append(
            Outcome(
                account_id=data.get("account") or data["external_id"],
                kind=data["kind"],
                occurred_on=data["occurred_on"],
                arr_before=data["arr_before"],
                arr_after=data["arr_after"],
                reason=data.get("reason", ""),
            )
        )
    return outcomes, errors
