"""Writes for scorecards, metric values and overrides. Each enqueues the recompute on commit."""

import json
from datetime import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, ImportJob
from accounts.services import rows_import_run
from core.derivation import Cause, CauseKind, recompute_requested
from tenancy.models import Organization, User

from . import scoring
from .importing import items_of, read_metrics_csv
from .models import HealthLevel, HealthOverride, Measure, MeasureGroup, MetricValue, Scorecard
from .validation import metrics_validate

TEMPLATE_DIR = Path(__file__).resolve().parent / "scorecard_templates"
TEMPLATES = ("chs", "six_part")
MAX_METRICS_PER_REQUEST = 5000


def template_load(key: str) -> dict:
    if key not in TEMPLATES:
        raise ValidationError({"template": f"No template “{key}”."})
    return json.loads((TEMPLATE_DIR / f"{key}.json").read_text())


def _fill(scorecard: Scorecard, spec: dict) -> None:
    organization = scorecard.organization
    for position, group_spec in enumerate(spec["groups"]):
        group = MeasureGroup.objects.create(
            organization=organization,
            scorecard=scorecard,
            key=group_spec["key"],
            name=group_spec["name"],
            weight=group_spec["weight"],
            position=position,
        )
        Measure.objects.bulk_create(
            Measure(
                organization=organization,
                group=group,
                position=index,
                key=m["key"],
                name=m["name"],
                metric=m["metric"],
                weight=m["weight"],
                rule=m["rule"],
                params=m["params"],
                stale_after_days=m.get("stale_after_days"),
                manual=m.get("manual", False),
            )
            for index, m in enumerate(group_spec["measures"])
        )
    HealthLevel.objects.bulk_create(
        HealthLevel(
            organization=organization,
            scorecard=scorecard,
            name=level["name"],
            lower=level["lower"],
            colour=level.get("colour", "#8892a6"),
        )
        for level in spec["levels"]
    )
    _touch(scorecard)


def _touch(scorecard: Scorecard) -> None:
    """A new `updated_at`, the key under which its card is cached: set before a scorecard's
    rows change and after, so a card read in between is cached under a key that is never
    read again, whether the transaction commits or rolls back."""
    scorecard.save(update_fields=["updated_at"])


def _validate(spec: dict) -> None:
    if errors := scoring.card_errors(spec):
        raise ValidationError(errors)


@transaction.atomic
def scorecard_create_from_template(
    *, organization: Organization, template: str, activate: bool | None = None
) -> Scorecard:
    spec = template_load(template)
    _validate(spec)
    if activate is None:
        activate = not Scorecard.objects.filter(is_active=True).exists()
    if activate:
        Scorecard.objects.filter(is_active=True).update(is_active=False)
    scorecard = Scorecard.objects.create(
        organization=organization,
        name=spec["name"],
        template=template,
        description=spec.get("description", ""),
        is_active=activate,
    )
    _fill(scorecard, spec)
    if activate:
        tenant_recompute_enqueue(
            organization=organization, cause=Cause(CauseKind.SCORECARD, scorecard.pk)
        )
    return scorecard


@transaction.atomic
def scorecard_update(*, scorecard: Scorecard, spec: dict) -> Scorecard:
    """Replace the scorecard's groups, measures and levels; recompute every account.

    Scores are not versioned like maturity frameworks: the snapshots keep the history.
    """
    _validate(spec)
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    _touch(scorecard)
    scorecard.groups.all().delete()
    scorecard.levels.all().delete()
    _fill(scorecard, spec)
    if scorecard.is_active:
        tenant_recompute_enqueue(
            organization=scorecard.organization, cause=Cause(CauseKind.SCORECARD, scorecard.pk)
        )
    return scorecard


@transaction.atomic
def scorecard_activate(*, scorecard: Scorecard) -> Scorecard:
    Scorecard.objects.filter(is_active=True).exclude(pk=scorecard.pk).update(is_active=False)
    scorecard.is_active = True
    scorecard.save(update_fields=["is_active"])
    tenant_recompute_enqueue(
        organization=scorecard.organization, cause=Cause(CauseKind.SCORECARD, scorecard.pk)
    )
    return scorecard


@transaction.atomic
def metrics_record(
    *, organization: Organization, values: list[MetricValue], source: str, by: User | None = None
) -> list[MetricValue]:
    for value in values:
        value.organization = organization
        value.source = source
        value.created_by = by
    created = MetricValue.objects.bulk_create(values, batch_size=2000)
    accounts_recompute_enqueue(
        organization=organization,
        account_ids=sorted({v.account_id for v in values}),
        cause=Cause(CauseKind.METRICS),
    )
    return created


@transaction.atomic
def override_create(
    *, account: Account, score: float, reason: str, expires_at: datetime, by: User
) -> HealthOverride:
    override = HealthOverride(
        organization=account.organization,
        account=account,
        score=score,
        reason=reason.strip(),
        expires_at=expires_at,
        created_by=by,
    )
    if not override.reason:
        raise ValidationError({"reason": "Say why the score is overridden."})
    override.full_clean()
    if expires_at <= timezone.now():
        raise ValidationError(
            {"expires_at": ValidationError("The expiry must be in the future.", "in_the_past")}
        )
    override.save()
    accounts_recompute_enqueue(
        organization=account.organization,
        account_ids=[account.pk],
        cause=Cause(CauseKind.OVERRIDE, override.pk),
    )
    return override


@transaction.atomic
def override_end(*, override: HealthOverride) -> HealthOverride:
    if override.ended_at is None:
        override.ended_at = timezone.now()
        override.save(update_fields=["ended_at"])
        accounts_recompute_enqueue(
            organization=override.organization,
            account_ids=[override.account_id],
            cause=Cause(CauseKind.OVERRIDE, override.pk),
        )
    return override


def accounts_recompute_enqueue(
    *, organization: Organization, account_ids: list[int], cause: Cause
) -> None:
    if account_ids:
        recompute_requested(organization=organization, account_ids=account_ids, cause=cause)


def tenant_recompute_enqueue(*, organization: Organization, cause: Cause) -> None:
    recompute_requested(organization=organization, account_ids=None, cause=cause)


def scorecard_defaults_install(*, organization: Organization, by: User) -> None:
    """organization_defaults: the deck's CHS scorecard, active."""
    scorecard_create_from_template(organization=organization, template="chs", activate=True)


@transaction.atomic
def metrics_import_run(*, job: ImportJob) -> ImportJob:
    """A CSV of metric values: every bad line reported; nothing written unless asked to."""
    return rows_import_run(
        job,
        read=read_metrics_csv,
        items_of=items_of,
        validate=metrics_validate,
        record=lambda values: metrics_record(
            organization=job.organization,
            values=values,
            source=MetricValue.Source.CSV,
            by=job.created_by,
        ),
    )
