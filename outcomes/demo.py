"""The demo's renewal outcomes, drawn from a planted model so that the Score Lab has a story.

Churn is likelier at low CHS, and likelier still where low CHS meets low CMI (the deck's
claim); expansion is likelier at high CMI. The model reads each account's scores as they
stood 90 days before its renewal: the very as-of scores the backtest computes. Every outcome
is marked as synthetic (source "demo"), and the Score Lab says so.
"""

import math
import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from tenancy.models import Organization

from .asof import asof_frame
from .models import Outcome
from .services import outcomes_record

HORIZON = 90


def churn_probability(chs: float | None, cmi: float | None) -> float:
    """The planted model: a logistic curve in CHS, steeper where CMI is low too."""
    if chs is None or math.isnan(chs):
        return 0.12
    low_maturity = 0.0 if cmi is None or math.isnan(cmi) else max(0.0, 3.0 - cmi)
    logit = -1.9 + 0.08 * (50 - chs) + 2.0 * low_maturity * (chs < 65)
    return 1 / (1 + math.exp(-logit))


def demo_outcomes(*, organization: Organization, share: float = 0.8, seed: int = 13) -> int:
    """Outcomes for `share` of the accounts, each renewed in the last 30 days."""
    if Outcome.objects.exists():
        return Outcome.objects.count()
    rng = random.Random(seed)
    today = timezone.localdate()
    accounts = [a for a in Account.objects.order_by("pk") if rng.random() < share]
    drafts = [
        Outcome(
            organization=organization,
            account=account,
            kind=Outcome.Kind.RENEWED,
            occurred_on=today - timedelta(days=rng.randint(1, 30)),
            arr_before=account.arr,
            arr_after=account.arr,
            source=Outcome.Source.DEMO,
        )
        for account in accounts
    ]
    # The as-of scores of these renewals, read through the backtest's own code, then undone.
    with transaction.atomic():
        saved = Outcome.objects.bulk_create(drafts)
        table = asof_frame(HORIZON).set_index("outcome")
        scores = {o.pk: (table.at[o.pk, "chs"], table.at[o.pk, "cmi"]) for o in saved}
        transaction.set_rollback(True)
    outcomes = []
    for draft, saved_one in zip(drafts, saved, strict=True):
        chs, cmi = scores[saved_one.pk]
        arr = draft.arr_before
        if rng.random() < churn_probability(chs, cmi):
            kind, after, reason = Outcome.Kind.CHURNED, Decimal(0), "Synthetic: churned"
        elif not math.isnan(cmi) and rng.random() < 0.1 + 0.08 * (cmi - 3):
            kind, after = Outcome.Kind.EXPANDED, (arr * Decimal("1.2")).quantize(Decimal("0.01"))
            reason = "Synthetic: expanded"
        elif rng.random() < 0.12 and arr > 0:
            kind, after = Outcome.Kind.CONTRACTED, (arr * Decimal("0.8")).quantize(Decimal("0.01"))
            reason = "Synthetic: contracted"
        else:
            kind, after, reason = Outcome.Kind.RENEWED, arr, "Synthetic: renewed"
        if kind == Outcome.Kind.EXPANDED and after <= arr:  # an account with no ARR yet
            kind, after = Outcome.Kind.RENEWED, arr
        draft.pk, draft.kind, draft.arr_after, draft.reason = None, kind, after, reason
        outcomes.append(draft)
    outcomes_record(organization=organization, outcomes=outcomes, source=Outcome.Source.DEMO)
    return len(outcomes)
