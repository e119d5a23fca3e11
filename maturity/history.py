"""The assessment-history import: a CRM's or a spreadsheet's past assessments as a CSV, one
row an assessment. Each row is checked as the API checks `POST /api/v1/assessments/`
(`services.assessment_create_errors`, the account by external_id, `submitted_at` not in the
future) and written by the same `services.assessment_create`.

Columns: external_id; optionally framework (its name or id; the primary one when blank) and
submitted_at (ISO 8601; now when blank); then one column per factor key, holding 1 to 5,
"unknown", or nothing for a factor not answered.
"""

import csv
import io
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError
from rest_framework import serializers

from accounts.importing import FileError, columns_frame
from accounts.mapping import Field, ImportMapping
from accounts.models import Account, ImportJob
from accounts.services import rows_import_run
from accounts.validation import AccountItem, accounts_context
from core.batches import items_checked
from core.moments import PastMomentField

from .models import Framework
from .selectors import framework_structure
from .services import assessment_create, assessment_create_errors

UNKNOWN = {"unknown", "?", "null"}


def frameworks_by_name() -> dict[str, Framework]:
    """The tenant's frameworks by lowercased name and by id, and the primary one under ""."""
    frameworks = list(Framework.objects.select_related("current_version"))
    named: dict[str, Framework] = {}
    for framework in frameworks:
        named[framework.name.strip().lower()] = framework
        named[str(framework.pk)] = framework
        if framework.is_primary:
            named[""] = framework
    return named


def factor_columns() -> list[str]:
    """Every factor key of the tenant's frameworks, as they stand: the columns a file may have."""
    keys: dict[str, None] = {}
    for framework in Framework.objects.select_related("current_version"):
        keys.update(dict.fromkeys(framework_structure(framework.current).factors))
    return list(keys)


def read_assessments_csv(raw: bytes | str) -> pd.DataFrame:
    factors = factor_columns()
    frame = columns_frame(
        raw,
        required=("external_id",),
        optional=("framework", "submitted_at", *factors),
        rows="assessments",
    )
    if not any(key in frame.columns for key in factors):
        raise FileError(f"No factor column: name at least one of {', '.join(factors)}.")
    for column in ("framework", "submitted_at"):
        if column not in frame.columns:
            frame[column] = ""
    return frame


def items_of(frame: pd.DataFrame) -> list[dict]:
    """Rows as items: blank is not answered, "unknown" is null, anything else is checked."""
    factors = [c for c in frame.columns if c not in ("external_id", "framework", "submitted_at")]
    items = []
    for row in frame.to_dict("records"):
        answers: dict[str, Any] = {}
        for key in factors:
            value = row[key]
            if value:
                answers[key] = None if value.lower() in UNKNOWN else value
        items.append(
            {
                "external_id": row["external_id"] or None,
                "framework": row["framework"],
                "submitted_at": row["submitted_at"] or None,
                "answers": answers,
            }
        )
    return items


class FrameworkNameField(serializers.Field):
    def to_internal_value(self, data: Any) -> Framework:
        found = self.context["frameworks"].get(str(data).strip().lower())
        if found is None:
            raise serializers.ValidationError(
                "No framework has this name or id." if data else "There is no primary framework.",
                code="does_not_exist",
            )
        return found


class AssessmentRow(AccountItem):
    """One past assessment of the history import."""

    framework = FrameworkNameField()
    submitted_at = PastMomentField(required=False, allow_null=True)
    answers = serializers.DictField()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """Every problem of the row at once: its fields', and its answers' as the API judges
        them, on the framework it names (when that one is found)."""
        problems: dict[str, Any] = {}
        try:
            attrs = super().to_internal_value(data)
        except serializers.ValidationError as error:
            problems = dict(error.detail) if isinstance(error.detail, dict) else {}
            if not problems:
                raise
            named = str(data.get("framework", "")).strip().lower()
            attrs = {"framework": self.context["frameworks"].get(named), "answers": {}}
            if isinstance(data.get("answers"), dict):
                attrs["answers"] = data["answers"]
        answers = {}
        for key, value in attrs["answers"].items():
            try:
                answers[key] = None if value is None else int(value)
            except (TypeError, ValueError):
                problems[key] = "A score is a whole number from 1 to 5, or unknown."
        if attrs["framework"] is not None:
            errors = assessment_create_errors(answers, attrs["framework"].current)
            problems.update({key: error.messages[0] for key, error in errors.items()})
        if problems:
            raise serializers.ValidationError(problems)
        return {**attrs, "answers": answers}


def assessments_validate(items: list[Any]) -> tuple[list[dict], dict[int, dict[str, str]]]:
    context = {**accounts_context(items), "frameworks": frameworks_by_name()}
    good, errors = items_checked(AssessmentRow(context=context), items)
    return [data for _, data in good], errors


def assessments_record(rows: list[dict], *, by) -> None:
    accounts = Account.objects.in_bulk([AccountItem.account_of(row) for row in rows])
    for row in rows:
        try:
            assessment_create(
                account=accounts[AccountItem.account_of(row)],
                framework=row["framework"],
                answers=row["answers"],
                by=by,
                submitted_at=row.get("submitted_at"),
            )
        except ValidationError as error:  # checked above: a bug, not a bad row
            raise RuntimeError(f"an assessment checked as good was refused: {error}") from error


def assessments_import_run(*, job: ImportJob) -> ImportJob:
    """A CSV of past assessments: every bad line reported; nothing written unless asked to."""
    return rows_import_run(
        job,
        read=read_assessments_csv,
        items_of=items_of,
        validate=assessments_validate,
        record=lambda rows: assessments_record(rows, by=job.created_by),
    )


def template_csv() -> str:
    """A file to fill in for the primary framework: its factor columns and one example row."""
    framework = frameworks_by_name().get("")
    factors = list(framework_structure(framework.current).factors) if framework else []
    header = ["external_id", "framework", "submitted_at", *factors]
    example = ["C-1001", framework.name if framework else "", "2026-03-31T10:00:00Z"]
    example += ["3"] * len(factors)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, example])
    return out.getvalue()


def assessments_mapping() -> ImportMapping:
    return ImportMapping(
        kind=ImportJob.Kind.ASSESSMENTS,
        title="past assessments",
        upload_url="maturity:assessments_import",
        fields=lambda: [
            Field("external_id", "CRM id (external_id)", required=True),
            Field("framework", "Framework (name or id; blank: the primary)"),
            Field("submitted_at", "Assessed on (ISO 8601)"),
            *(Field(key, f"Factor {key} (1–5 or unknown)") for key in factor_columns()),
        ],
        read=read_assessments_csv,
    )
