"""The account's current CMI: its latest submitted answers on the primary framework, scored
by that framework's current version. Vectorized and chunked, so one account and a million
share it: per chunk, one read of the latest answers (COPY on PostgreSQL), pandas scoring, one
`UPDATE … FROM unnest()` of what changed."""

from collections.abc import Callable

import numpy as np
import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account
from accounts.services import (
    Chunk,
    account_chunks,
    accounts_locked,
    accounts_write,
    values_same,
)
from config.frames import frame_read, ids_in, latest_of

from . import scoring
from .models import Answer, Assessment, Framework
from .selectors import framework_structure

CHUNK = 100_000
FIELDS = ["cmi", "cmi_tier"]


def structure_primary() -> tuple[Framework | None, scoring.Structure | None]:
    framework = Framework.objects.filter(is_primary=True).select_related("current_version").first()
    return framework, framework_structure(framework.current_version) if framework else None


def latest_answers(chunk: Chunk, framework: Framework) -> pd.DataFrame:
    """account, factor, score of each account's latest submitted assessment on `framework`.

    Two reads, each filtered by ids the planner can estimate from the column's own statistics
    (account ids, then assessment ids), never a join: right after a bulk import, before
    autovacuum has analyzed the new tenant's rows, a join planned on "this organization has
    one row" ran as a nested loop over every pair, 90 s for three accounts.
    """
    latest = frame_read(
        latest_of(
            Assessment.objects.filter(
                chunk.where(),
                status=Assessment.Status.SUBMITTED,
                version_id__in=list(framework.versions.values_list("pk", flat=True)),
            ),
            ["account_id"],
            ["submitted_at", "id"],
        ).values_list("id", "account_id"),
        columns=["assessment", "subject"],
        dtypes={"assessment": "int64", "subject": "int64"},
        few=chunk.few,
    ).set_index("assessment")["subject"]
    if latest.empty:
        return pd.DataFrame({"subject": [], "factor": [], "score": []})
    answers = frame_read(
        Answer.objects.filter(ids_in(Answer, "assessment_id", latest.index))
        .order_by()
        .values_list("assessment_id", "factor_key", "score"),
        columns=["assessment", "factor", "score"],
        dtypes={"assessment": "int64", "factor": "category", "score": "float64"},
        few=chunk.few,
    )
    answers["subject"] = answers["assessment"].map(latest)
    return answers[["subject", "factor", "score"]]


def cmi_compute(
    chunk: Chunk, framework: Framework | None, structure: scoring.Structure | None
) -> pd.DataFrame:
    """CMI and tier of each account of the chunk (NaN and '' without a scored assessment)."""
    result = pd.DataFrame({"cmi": np.nan, "cmi_tier": ""}, index=pd.Index(chunk.ids))
    if structure is None:
        return result
    answers = latest_answers(chunk, framework)
    if answers.empty:
        return result
    scored = scoring.score_frame(answers, structure)["cmi"]
    result.loc[scored.index, "cmi"] = scored.astype(float)
    result["cmi_tier"] = scoring.tier_of(result["cmi"], structure.tiers)
    return result


def accounts_recompute_cmi(
    *, accounts: QuerySet[Account] | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Recompute the CMI and tier of `accounts` (all by default); return how many changed."""
    framework, structure = structure_primary()
    changed = done = 0
    chunks = account_chunks(accounts, CHUNK)
    total = sum(len(chunk.ids) for chunk in chunks)
    for chunk in chunks:
        current = accounts_locked(chunk, FIELDS, text=["cmi_tier"])
        fresh = cmi_compute(chunk, framework, structure)
        differs = cmi_differs(current, fresh)
        if differs.any():
            changed += accounts_write(
                fresh.loc[differs, FIELDS].assign(cmi_updated_at=timezone.now())
            )
        done += len(chunk.ids)
        if progress:
            progress(done, total)
    return changed


def cmi_differs(current: pd.DataFrame, fresh: pd.DataFrame) -> pd.Series:
    return ~values_same(current["cmi"], fresh["cmi"]) | (current["cmi_tier"] != fresh["cmi_tier"])
