"""Demo assessments: a few rounds per account over the past year, drifting upwards."""

import random
from datetime import timedelta
from typing import Any

import pandas as pd
from django.utils import timezone

from accounts.models import Account

from . import scoring
from .models import Answer, Assessment, Framework
from .selectors import framework_structure


def demo_assessments(*, framework: Framework, share: float = 0.75, seed: int = 11) -> int:
    rng = random.Random(seed)
    version = framework.current
    structure = framework_structure(version)
    keys = list(structure.factors)
    now = timezone.now()
    plans = []
    for account in Account.objects.order_by("pk"):
        if rng.random() > share:
            continue
        level = rng.uniform(1.3, 4.6)
        rounds = rng.randint(1, 3)
        for index in range(rounds):
            when = now - timedelta(days=120 * (rounds - index) + rng.randint(0, 40))
            answers = {
                key: None if rng.random() < 0.05 else min(5, max(1, round(rng.gauss(level, 0.9))))
                for key in keys
            }
            plans.append((account, when, answers))
            level = min(4.8, level + rng.uniform(-0.2, 0.45))
    assessments = Assessment.objects.bulk_create(
        Assessment(
            organization=framework.organization,
            account=account,
            version=version,
            status=Assessment.Status.SUBMITTED,
            submitted_at=when,
            created_by=account.owner_csm,
        )
        for account, when, _ in plans
    )
    rows: list[dict[str, Any]] = [
        {"subject": a.pk, "factor": key, "score": score}
        for a, (_, _, answers) in zip(assessments, plans, strict=True)
        for key, score in answers.items()
    ]
    frame = pd.DataFrame(rows).astype({"score": float})
    scored = scoring.score_frame(frame, structure)
    scored["tier"] = scoring.tier_of(scored["cmi"], structure.tiers)
    for assessment in assessments:
        row = scored.loc[assessment.pk]
        assessment.cmi = float(row["cmi"])
        assessment.tier = row["tier"]
        assessment.pillar_scores = {k: _float(row[k]) for k in structure.weights}
        assessment.completeness = float(row["completeness"])
        assessment.is_partial = bool(row["is_partial"])
    Assessment.objects.bulk_update(
        assessments, ["cmi", "tier", "pillar_scores", "completeness", "is_partial"]
    )
    Answer.objects.bulk_create(
        Answer(
            organization=framework.organization,
            assessment_id=r["subject"],
            factor_key=r["factor"],
            score=None if pd.isna(r["score"]) else int(r["score"]),
        )
        for r in rows
    )
    return len(assessments)


def _float(value):
    return None if pd.isna(value) else float(value)
