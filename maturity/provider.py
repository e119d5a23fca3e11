"""The CMI's step of the recompute (core.derivation.Provider): each account's latest
submitted answers on the primary framework, scored by that framework's current version."""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.chunks import Chunk
from core.derivation import CauseKind
from core.frames import frame_read, ids_in, latest_of, values_same

from . import scoring
from .models import Answer, Assessment, Framework
from .selectors import framework_primary, framework_structure


@dataclass(frozen=True)
class Primary:
    """The primary framework and its current version's structure, read once per run."""

    framework: Framework | None
    structure: scoring.Structure | None

    @property
    def bands(self) -> list[str]:
        """The tier names, lowest first: what the cell is placed by."""
        return [name for name, _ in self.structure.tiers] if self.structure else []


def primary() -> Primary:
    framework = framework_primary()
    return Primary(framework, framework_structure(framework.current) if framework else None)


def latest_answers(chunk: Chunk, framework: Framework) -> pd.DataFrame:
    """subject (account), factor, score of each account's latest submitted assessment on
    `framework`.

    Two reads, each filtered by ids the planner can estimate from the column's own statistics
    (account ids, then assessment ids), never a join: right after a bulk import, before
    autovacuum has analyzed the new tenant's rows, a join planned on "this organization has
    one row" ran as a nested loop over every pair.
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


class CMI:
    key = "cmi"
    fields = ("cmi", "cmi_tier")
    text = ("cmi_tier",)
    scores = ("cmi", "cmi_tier")
    stamp = "cmi_updated_at"
    causes = frozenset({CauseKind.ASSESSMENT, CauseKind.FRAMEWORK})

    def prepare(self, earlier: Mapping[str, object]) -> Primary:
        return primary()

    def compute(self, chunk: Chunk, prepared: Primary, stored, now) -> pd.DataFrame:
        """CMI and tier of each account of the chunk (NaN and '' without a scored
        assessment)."""
        result = pd.DataFrame({"cmi": np.nan, "cmi_tier": ""}, index=pd.Index(chunk.ids))
        if prepared.structure is None or prepared.framework is None:
            return result
        answers = latest_answers(chunk, prepared.framework)
        if answers.empty:
            return result
        scored = scoring.score_frame(answers, prepared.structure)["cmi"]
        result.loc[scored.index, "cmi"] = scored.astype(float)
        result["cmi_tier"] = scoring.tier_of(result["cmi"], prepared.structure.tiers)
        return result

    def changed(self, current: pd.DataFrame, fresh: pd.DataFrame) -> pd.Series:
        return ~values_same(current["cmi"], fresh["cmi"]) | (
            current["cmi_tier"] != fresh["cmi_tier"]
        )

    def written(self, current, fresh, now, cause) -> None:
        """Nothing of its own: the assessment already holds its score."""
