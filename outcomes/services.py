"""Writes of outcomes: recorded from the API, a CSV or the account page, all through here."""

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction

from accounts.models import Account, ImportJob, LifecycleStage
from accounts.services import rows_import_run
from core.events import event_emitted
from health.models import Scorecard
from health.selectors import scorecard_spec
from health.services import scorecard_update
from maturity.models import Framework
from maturity.services import FrameworkChange, framework_update, version_spec
from tenancy.models import Organization, User

from .importing import items_of, read_outcomes_csv
from .models import Outcome
from .validation import outcomes_validate

MAX_OUTCOMES_PER_REQUEST = 5000


@transaction.atomic
def outcomes_record(
    *, organization: Organization, outcomes: list[Outcome], source: str, by: User | None = None
) -> list[Outcome]:
    """Store checked outcomes. A churn moves its account to the churned stage (the dashboard
    leaves churned accounts out by default); each outcome is announced as `outcome.created`."""
    for outcome in outcomes:
        outcome.organization = organization
        outcome.source = source
        outcome.created_by = by
    created = Outcome.objects.bulk_create(outcomes, batch_size=2000)
    churned = {o.account_id for o in created if o.kind == Outcome.Kind.CHURNED}
    if churned:
        for account in Account.objects.filter(pk__in=churned).exclude(
            lifecycle_stage=LifecycleStage.CHURNED
        ):
            account.lifecycle_stage = LifecycleStage.CHURNED
            account.save(update_fields=["lifecycle_stage", "updated_at"])

    def payloads() -> list[dict]:
        external = dict(
            Account.objects.filter(pk__in={o.account_id for o in created}).values_list(
                "pk", "external_id"
            )
        )
        return [
            {
                "outcome": o.pk,
                "account": o.account_id,
                "external_id": external.get(o.account_id),
                "kind": o.kind,
                "occurred_on": o.occurred_on,
                "arr_before": str(o.arr_before),
                "arr_after": str(o.arr_after),
                "reason": o.reason,
                "source": o.source,
            }
            for o in created
        ]

    event_emitted(organization_id=organization.pk, event="outcome.created", payloads=payloads)
    return created


@transaction.atomic
def outcomes_import_run(*, job: ImportJob) -> ImportJob:
    """A CSV of outcomes: every bad line reported; nothing written unless asked to."""
    return rows_import_run(
        job,
        read=read_outcomes_csv,
        items_of=items_of,
        validate=outcomes_validate,
        record=lambda outcomes: outcomes_record(
            organization=job.organization,
            outcomes=outcomes,
            source=Outcome.Source.IMPORT,
            by=job.created_by,
        ),
    )


def framework_weights_apply(
    *, framework: Framework, weights: Mapping[str, Decimal], by: User | None
) -> FrameworkChange:
    """ "Use these weights": the framework edit a manager would make by hand, with its new
    version (when assessments were scored by the current one), recompute and record of who
    made it. Every other part of the framework stays as it is."""
    spec = version_spec(framework.current)
    for pillar in spec["pillars"]:
        pillar["weight"] = weights[pillar["key"]]
    return framework_update(framework=framework, spec=spec, by=by)


def scorecard_weights_apply(
    *,
    scorecard: Scorecard,
    groups: Mapping[str, Decimal | float],
    measures: Mapping[str, Decimal | float],
) -> Scorecard:
    """ "Use these weights" for a scorecard: the edit a manager would make in the scorecard
    editor, with its checks and recompute; only the group and in-group weights change."""
    spec = scorecard_spec(scorecard)
    for group in spec["groups"]:
        group["weight"] = float(groups[group["key"]])
        for measure in group["measures"]:
            measure["weight"] = float(measures[measure["key"]])
    return scorecard_update(scorecard=scorecard, spec=spec)
