"""Realistic demo accounts, reproducible from a seed."""

import random
from datetime import date, timedelta
from decimal import Decimal

from .models import LifecycleStage, SizeBand

INDUSTRIES = [
    ("Defence", "8422"),
    ("IT wholesale", "4651"),
    ("Software publishing", "5820"),
    ("Public administration", "8411"),
    ("Hospitals", "8610"),
    ("Banking", "6419"),
    ("Logistics", "5210"),
    ("Electricity", "3510"),
]
REGIONS = ["North America", "EMEA", "APAC", "LATAM"]
PREFIXES = [
    "North",
    "Blue",
    "Silver",
    "Granite",
    "Harbor",
    "Summit",
    "Pioneer",
    "Cedar",
    "Atlas",
    "Beacon",
    "Crest",
    "Delta",
    "Evergreen",
    "Falcon",
    "Keystone",
    "Meridian",
]
SUFFIXES = [
    "Systems",
    "Group",
    "Holdings",
    "Partners",
    "Industries",
    "Networks",
    "Labs",
    "Solutions",
    "Logistics",
    "Health",
    "Energy",
    "Dynamics",
]
ARR_BY_SIZE = {
    SizeBand.SMALL: 12_000,
    SizeBand.MID: 45_000,
    SizeBand.LARGE: 140_000,
    SizeBand.ENTERPRISE: 420_000,
}


def demo_accounts(count: int, *, csm_ids: list[int], seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    today = date.today()
    accounts = []
    for number in range(1, count + 1):
        industry, isic = rng.choice(INDUSTRIES)
        size = rng.choices(list(ARR_BY_SIZE), weights=[35, 35, 20, 10])[0]
        arr = ARR_BY_SIZE[size] * rng.lognormvariate(0, 0.45)
        accounts.append(
            {
                "external_id": f"CRM-{number:05d}",
                "name": f"{rng.choice(PREFIXES)} {rng.choice(SUFFIXES)} {number}",
                "industry": industry,
                "isic_code": isic,
                "size_band": size,
                "region": rng.choices(REGIONS, weights=[45, 30, 18, 7])[0],
                "lifecycle_stage": rng.choices(LifecycleStage.values, weights=[12, 40, 22, 20, 6])[
                    0
                ],
                "arr": Decimal(round(arr, -2)),
                "renewal_date": today + timedelta(days=rng.randint(-30, 365)),
                "owner_csm_id": rng.choice(csm_ids),
            }
        )
    return accounts
