"""The account's current CMI: its latest submitted answers on the primary framework, scored
by that framework's current version. Vectorized, so one account and a whole tenant share it."""

from collections.abc import Callable

import numpy as np
import pandas as pd
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Account
from accounts.services import accounts_lock, accounts_write

from . import scoring
from .models import Answer, Assessment, Framework
from .selectors import framework_structure

CHUNK = 5000


def accounts_recompute_cmi(
    *, accounts: QuerySet[Account] | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Recompute the CMI and tier of `accounts` (all by default); return how many changed."""
    accounts = Account.objects.all() if accounts is None else accounts
    framework = Framework.objects.filter(is_primary=True).select_related("current_version").first()
    structure = framework_structure(framework.current_version) if framework else None
    latest = (
        Assessment.objects.filter(
            account=OuterRef("pk"),
            status=Assessment.Status.SUBMITTED,
            version__framework=framework,
        )
        .order_by("-submitted_at", "-id")
        .values("id")[:1]
    )
    ids = list(accounts.order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = accounts_lock(ids[start : start + CHUNK])
        rows = Account.objects.filter(pk__in=chunk).annotate(latest=Subquery(latest))
        current = pd.DataFrame.from_records(
            rows.values_list("pk", "latest", "cmi", "cmi_tier"),
            columns=["account", "assessment", "cmi", "cmi_tier"],
        ).set_index("account")
        fresh = _score(current["assessment"], structure)
        changed += _write(current, fresh)
        if progress:
            progress(start + len(chunk), len(ids))
    return changed


def _score(assessments: pd.Series, structure: scoring.Structure | None) -> pd.DataFrame:
    """CMI and tier per account, from the answers of each account's latest assessment."""
    result = pd.DataFrame({"cmi": np.nan, "cmi_tier": ""}, index=assessments.index)
    assessment_ids = assessments.dropna().astype(int)
    if structure is None or assessment_ids.empty:
        return result
    answers = pd.DataFrame.from_records(
        Answer.objects.filter(assessment_id__in=list(assessment_ids)).values_list(
            "assessment_id", "factor_key", "score"
        ),
        columns=["subject", "factor", "score"],
    )
    answers["score"] = answers["score"].astype(float)
    scored = scoring.score_frame(answers, structure)
    cmi = assessment_ids.map(scored["cmi"])
    result.loc[cmi.index, "cmi"] = cmi.astype(float)
    result["cmi_tier"] = scoring.tier_of(result["cmi"], structure.tiers)
    return result


def _write(current: pd.DataFrame, fresh: pd.DataFrame) -> int:
    old = current["cmi"].astype(float)
    new = fresh["cmi"].astype(float)
    same_cmi = (old.isna() & new.isna()) | np.isclose(old, new, rtol=0, atol=1e-9)
    differs = ~same_cmi | (current["cmi_tier"] != fresh["cmi_tier"])
    if not differs.any():
        return 0
    rows = fresh.loc[differs, ["cmi", "cmi_tier"]].assign(cmi_updated_at=timezone.now())
    return accounts_write(rows)
