"""Checking a batch of items (a bulk API body, a CSV's rows) with one serializer, as
`many=True` would, keeping every bad item's messages by its position."""

from collections.abc import Mapping
from typing import Any, cast

from rest_framework import serializers


def items_checked(
    check: serializers.Serializer, items: list[Any]
) -> tuple[list[tuple[int, dict[str, Any]]], dict[int, dict[str, str]]]:
    """(position, validated data) of the good items, and by position, the first message per
    field of the bad ones: an ErrorDetail (a str) that keeps its code."""
    good: list[tuple[int, dict[str, Any]]] = []
    errors: dict[int, dict[str, str]] = {}
    for position, item in enumerate(items):
        if not isinstance(item, Mapping):
            errors[position] = {"non_field_errors": str(check.error_messages["invalid"])}
            continue
        try:
            good.append((position, check.run_validation(item)))
        except serializers.ValidationError as error:
            problems = error.detail.items() if isinstance(error.detail, dict) else []
            errors[position] = {
                field: cast(str, messages[0] if isinstance(messages, list) else messages)
                for field, messages in problems
            }
    return good, errors
