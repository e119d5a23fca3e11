"""Moments from ISO 8601 text, and the one rule for a moment that must not lie ahead: a
metric's `observed_at`, an assessment's `submitted_at`, an outcome's `occurred_on`."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# A clock a little ahead of ours is not the future.
FUTURE_TOLERANCE = timedelta(minutes=5)


def moment_of(value: Any) -> datetime | None:
    """An aware datetime in UTC from an ISO 8601 date or date-time, or None if it is not one."""
    moment: datetime | None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = parse_datetime(value.strip())
            if moment is None and (day := parse_date(value.strip())) is not None:
                moment = datetime(day.year, day.month, day.day, 12)
        except ValueError:
            return None
    else:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    if moment is None:
        return None
    try:  # in UTC: PostgreSQL refuses offsets past ±15:59, which ISO 8601 allows
        return moment.astimezone(UTC)
    except OverflowError:  # the first or last day of year 1 or 9999, shifted out of range
        return None


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "nullable": True,
        "example": "2026-03-31T09:00:00Z",
        "description": "ISO 8601 date-time (or date), not in the future; null or absent: now.",
    }
)
class PastMomentField(serializers.Field):
    """An ISO 8601 date or date-time, not in the future; blank, null or absent: None (the
    writer takes now). `now` is the batch's, from the context, so every item sees one clock."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is serializers.empty or data is None or data == "":
            if self.required and data is serializers.empty:
                self.fail("required")
            return True, None
        return False, data

    def to_internal_value(self, data: Any) -> datetime:
        moment = moment_of(data)
        if moment is None:
            raise serializers.ValidationError("Give an ISO 8601 date or date-time.")
        now = self.context.get("now") or timezone.now()
        if moment > now + FUTURE_TOLERANCE:
            raise serializers.ValidationError("This is in the future.", code="in_the_future")
        return moment

    def to_representation(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime | date) else value


class PastDateField(serializers.DateField):
    """A calendar date (YYYY-MM-DD), not after today."""

    def to_internal_value(self, value: Any) -> date:
        day = super().to_internal_value(value)
        if day > timezone.localdate():
            raise serializers.ValidationError("This is in the future.", code="in_the_future")
        return day
