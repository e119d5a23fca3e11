"""The one check of an outcome, for the API, the CSV import and the browser's form.

An item names its account by `account` (id) or `external_id`, as a metric value does; the
batch's accounts are read once into the serializer's context.
"""

from datetime import date
from typing import Any

from rest_framework import serializers

from accounts.api.serializers import MoneyField
from accounts.validation import AccountItem, accounts_context
from core.batches import items_checked
from core.moments import PastDateField

from .models import Outcome

EARLIEST = date(1970, 1, 1)


class OutcomeItem(AccountItem):
    """One outcome: {account | external_id, kind, occurred_on, arr_before, arr_after, reason}."""

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

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        attrs = super().to_internal_value(data)
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


def outcomes_validate(items: list[Any]) -> tuple[list[Outcome], dict[int, dict[str, str]]]:
    """Check a batch. Returns unsaved Outcomes (organization and source still to set) and, by
    item position, a message per field for the bad items."""
    good, errors = items_checked(OutcomeItem(context=accounts_context(items)), items)
    outcomes: list[Outcome] = []
    for _, data in good:
        outcomes.append(
            Outcome(
                account_id=AccountItem.account_of(data),
                kind=data["kind"],
                occurred_on=data["occurred_on"],
                arr_before=data["arr_before"],
                arr_after=data["arr_after"],
                reason=data.get("reason", ""),
            )
        )
    return outcomes, errors
