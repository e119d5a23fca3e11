"""The one validation of incoming metric values: the API's bulk POST, the CSV import and the
browser's manual value all run `metrics_validate`.

Each item is checked by `MetricItem`, a DRF serializer, and every problem of an item is
reported at once, by field. Everything that needs the tenant's rows (its accounts, the
active scorecard's measures) is read once per batch into the serializer's context.
"""

import math
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from accounts.validation import AccountItem, accounts_context, item_of
from core.batches import items_checked
from core.moments import PastMomentField

from . import scoring
from .models import MetricValue
from .selectors import card_of, scorecard_active

# A metric's number is within ±VALUE_BOUND: the schema says so, and no measure reads beyond.
VALUE_BOUND = 10**15


def _in_schema(value: Any) -> None:
    """What the schema says of any value, whatever its metric: a number within ±VALUE_BOUND,
    text, or null. Anything else (a boolean, a list, a number past the bounds) is malformed:
    400, and in a partial batch the whole request, as schema errors are."""
    if value is serializers.empty or value is None or isinstance(value, str):
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise serializers.ValidationError("A number, text or null.", code="invalid")
    if not -VALUE_BOUND <= value <= VALUE_BOUND:
        raise serializers.ValidationError("A number from -10^15 to 10^15.", code="invalid")


def _number(value: Any) -> float | None:
    """The value as a finite float, or ValidationError. Text that is no number is what the
    schema allows but this metric does not take (409, wrong_kind)."""
    _in_schema(value)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number) or abs(number) > VALUE_BOUND:
        # The schema takes text or a number: which one is the scorecard's to say (409).
        raise serializers.ValidationError(
            "This metric takes a number (or numeric text).", code="wrong_kind"
        )
    return number


class MetricField(serializers.Field):
    """A metric key that a measure of the active scorecard reads."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or not data or "\x00" in data:
            raise serializers.ValidationError("This field is required.")
        if data not in self.context["measures"]:
            raise serializers.ValidationError(
                "No measure of the active scorecard reads this metric.", code="does_not_exist"
            )
        return data


class ObservedAtField(PastMomentField):
    """When the value was observed; blank or absent: now."""


class ValueField(serializers.Field):
    """A value that suits the rule of the measure its item's metric names: (number, text)."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        return False, data  # absent or null is the rule's to judge (recency takes null)

    def to_internal_value(self, data: Any) -> tuple[float | None, str]:
        _in_schema(data)  # checked even when the metric is unknown
        item = item_of(self)
        metric = item.get("metric") if isinstance(item.get("metric"), str) else None
        measure: scoring.MeasureSpec | None = self.context["measures"].get(metric)
        if measure is None:
            raise serializers.SkipField  # the metric's own error says why
        if measure.rule == "categorical":
            allowed = {str(key).lower() for key in measure.params["map"]}
            if not isinstance(data, str) or data.strip().lower() not in allowed:
                raise serializers.ValidationError(
                    f"One of: {', '.join(sorted(allowed))}.", code="does_not_exist"
                )
            return None, data.strip().lower()
        if measure.rule == "recency":
            if data is None or data is serializers.empty:
                return 1.0, ""
            return _number(data), ""  # or null: the observation's time counts
        if data is serializers.empty:
            raise serializers.ValidationError("A number is required.", code="required")
        if data is None:  # the schema's null is for recency measures
            raise serializers.ValidationError(
                "This metric takes a number (or numeric text).", code="wrong_kind"
            )
        return _number(data), ""


class MetricItem(AccountItem):
    """One value: {account | external_id, metric, value, observed_at}."""

    metric = MetricField()
    value = ValueField(required=False)
    observed_at = ObservedAtField(required=False)


def metrics_context(items: list[Any]) -> dict[str, Any]:
    """What validating `items` needs of the tenant, read once for the batch."""
    scorecard = scorecard_active()
    measures: dict[str, scoring.MeasureSpec] = {}
    if scorecard is not None:
        for spec in card_of(scorecard).measures:
            measures.setdefault(spec.metric, spec)
    return {"measures": measures, **accounts_context(items), "now": timezone.now()}


def metrics_validate(items: list[Any]) -> tuple[list[MetricValue], dict[int, dict[str, str]]]:
    """Check a batch. Returns unsaved MetricValues and, by item position, a message per field
    for the bad items."""
    context = metrics_context(items)
    # One serializer for every item, as many=True does.
    good, errors = items_checked(MetricItem(context=context), items)
    values: list[MetricValue] = []
    for _, data in good:
        number, text = data.get("value", (None, ""))
        values.append(
            MetricValue(
                account_id=AccountItem.account_of(data),
                metric=data["metric"],
                number=number,
                text=text,
                observed_at=data.get("observed_at") or context["now"],
            )
        )
    return values, errors
