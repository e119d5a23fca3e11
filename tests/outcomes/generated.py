"""Generated tenants for the Score Lab's tests: accounts whose scores at t0 are known, and
outcomes drawn from a planted model of them (or from none)."""

import math
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Account
from health.models import MetricValue
from maturity.models import Answer, Assessment
from outcomes.models import Outcome
from outcomes.services import outcomes_record

from ..conftest import DECK_ANSWERS

HORIZON = 90


def usage_for(chs: float) -> float:
    """The deck's scorecard with only product usage (linear 10 → 70) scores this CHS."""
    return 10 + chs * 0.6


def planted(chs: float, cmi: float) -> float:
    """Churn likelier at low CHS, and likelier still at low CMI with low CHS."""
    logit = -2.2 + 0.06 * (50 - chs) + 1.6 * max(0.0, 3 - cmi) * (chs < 50)
    return 1 / (1 + math.exp(-logit))


def tenant_generate(organization, framework, *, n: int, signal: bool, seed: int = 3) -> list:
    """`n` accounts, each with one usage value and one assessment before its t0, and one
    outcome; returns [(outcome id, chs, cmi, churned)] as planted."""
    rng = random.Random(seed)
    today = timezone.localdate()
    version = framework.current
    accounts = Account.objects.bulk_create(
        Account(organization=organization, name=f"Generated {i}", external_id=f"G-{i}", arr=1000)
        for i in range(n)
    )
    values, assessments, plans = [], [], []
    for i, account in enumerate(accounts):
        chs = rng.uniform(5, 95)
        cmi = rng.randint(1, 5)
        occurred = today - timedelta(days=5 + (i * 3) % 360)
        t0 = datetime.combine(occurred - timedelta(days=HORIZON), datetime.min.time(), UTC)
        values.append(
            MetricValue(
                organization=organization,
                account=account,
                metric="active_users_pct",
                number=usage_for(chs),
                observed_at=t0 - timedelta(days=3),
                source="api",
            )
        )
        assessments.append(
            Assessment(
                organization=organization,
                account=account,
                version=version,
                status=Assessment.Status.SUBMITTED,
                submitted_at=t0 - timedelta(days=20),
                cmi=cmi,
            )
        )
        churned = rng.random() < (planted(chs, cmi) if signal else 0.2)
        plans.append((account, occurred, chs, cmi, churned))
    MetricValue.objects.bulk_create(values)
    Assessment.objects.bulk_create(assessments)
    Answer.objects.bulk_create(
        Answer(organization=organization, assessment=a, factor_key=key, score=int(a.cmi))
        for a in assessments
        for key in DECK_ANSWERS
    )
    outcomes = outcomes_record(
        organization=organization,
        outcomes=[
            Outcome(
                account=account,
                kind=Outcome.Kind.CHURNED if churned else Outcome.Kind.RENEWED,
                occurred_on=occurred,
                arr_before=Decimal(1000),
                arr_after=Decimal(0) if churned else Decimal(1000),
            )
            for account, occurred, _, _, churned in plans
        ],
        source=Outcome.Source.API,
    )
    return [
        (o.pk, chs, cmi, churned)
        for o, (_, _, chs, cmi, churned) in zip(outcomes, plans, strict=True)
    ]
