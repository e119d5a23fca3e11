"""Demo metric values over the past quarter, scored as they arrived so trends have history."""

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import Account
from tenancy.models import Organization

from .models import MetricValue

ROUNDS_DAYS_AGO = (120, 90, 60, 30, 7, 0)


def _value(rng, metric, health):
    """A plausible value for a metric, given an account's underlying health (0-1)."""
    if metric == "active_users_pct":
        return max(0, min(100, rng.gauss(15 + 60 * health, 8)))
    if metric == "open_critical_tickets":
        return max(0, round(rng.gauss(6 * (1 - health), 1.5)))
    if metric == "arr_growth_pct":
        return rng.gauss(-15 + 35 * health, 6)
    if metric == "days_overdue":
        return max(0, round(rng.gauss(45 * (1 - health) - 10, 10)))
    if metric == "nps":
        return max(-100, min(100, rng.gauss(-40 + 100 * health, 15)))
    if metric == "executive_relationship":
        return rng.choices(
            ["strong", "neutral", "weak", "none"],
            weights=[health * 4, 2, (1 - health) * 3, (1 - health)],
        )[0]
    if metric == "power_user":
        return rng.choices(["stable", "new", "departed"], weights=[health * 5, 2, 1.5])[0]
    if metric == "reference_willingness":
        return rng.choices(["reference", "willing", "unwilling"], weights=[health * 2, 2, 2])[0]
    if metric == "mission_criticality":
        return rng.choices(
            ["mission_critical", "important", "nice_to_have"],
            weights=[health * 3, 3, (1 - health) * 3],
        )[0]
    return 1.0  # contact: only the time of the observation counts


def demo_metrics(*, organization: Organization, after_round=None, seed: int = 5) -> int:
    """`after_round(moment)` runs once each round's values are stored: it scores them."""
    rng = random.Random(seed)
    now = timezone.now()
    metrics = [
        "active_users_pct",
        "open_critical_tickets",
        "arr_growth_pct",
        "days_overdue",
        "nps",
        "executive_relationship",
        "power_user",
        "reference_willingness",
        "mission_criticality",
        "contact",
    ]
    accounts = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    health = {pk: rng.betavariate(2.2, 1.6) for pk in accounts}
    drift = {pk: rng.gauss(0, 0.08) for pk in accounts}
    created = 0
    for days_ago in ROUNDS_DAYS_AGO:
        moment = now - timedelta(days=days_ago)
        values = []
        for pk in accounts:
            level = min(1, max(0, health[pk] + drift[pk] * (120 - days_ago) / 30))
            for metric in metrics:
                if rng.random() < 0.12:  # not every metric arrives every round
                    continue
                value = _value(rng, metric, level)
                values.append(
                    MetricValue(
                        organization=organization,
                        account_id=pk,
                        metric=metric,
                        number=None if isinstance(value, str) else float(value),
                        text=value if isinstance(value, str) else "",
                        observed_at=moment - timedelta(hours=rng.randint(0, 72)),
                        source=MetricValue.Source.API,
                    )
                )
        MetricValue.objects.bulk_create(values, batch_size=5000)
        created += len(values)
        if after_round:
            after_round(moment)
    return created
