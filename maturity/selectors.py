from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Max
from django.utils import timezone

from core.memo import Memo

from .models import Assessment, Factor, Framework, FrameworkVersion, SelfAssessment, SurveyLink
from .scoring import Structure
from .usm import LEVELS, Fit, usm_fit

STRUCTURES = Memo()


def framework_structure(version: FrameworkVersion) -> Structure:
    """What scoring needs of `version`; read once per process and edit (see `edited_at`)."""
    return STRUCTURES.get((version.pk, version.edited_at), lambda: _structure_read(version))


def _structure_read(version: FrameworkVersion) -> Structure:
    pillars = version.pillars.all()
    factors = Factor.objects.filter(pillar__version=version).select_related("pillar")
    return Structure(
        weights={pillar.key: float(pillar.weight) for pillar in pillars},
        factors={factor.key: (factor.pillar.key, factor.inverted) for factor in factors},
        tiers=tuple((tier.name, float(tier.lower)) for tier in version.tiers.all()),
    )


GAP_WINDOW = timedelta(days=365)


@dataclass
class PillarGap:
    key: str
    name: str
    customer: float | None
    csm: float | None

    @property
    def gap(self) -> float | None:
        if self.customer is None or self.csm is None:
            return None
        return self.customer - self.csm


@dataclass
class UsmStanding:
    framework: Framework
    customer_level: int | None
    provider_level: int | None
    fit: Fit | None

    @property
    def customer_label(self) -> str:
        return LEVELS.get(self.customer_level, "") if self.customer_level is not None else ""

    @property
    def offer_label(self) -> str:
        return LEVELS.get(self.fit.offer_level, "") if self.fit else ""


@dataclass
class AccountMaturity:
    frameworks: list[Framework]
    primary: Framework | None
    history: list[Assessment] = field(default_factory=list)
    drafts: list[Assessment] = field(default_factory=list)
    gaps: list[PillarGap] = field(default_factory=list)
    self_assessments: list[SelfAssessment] = field(default_factory=list)
    links: list[SurveyLink] = field(default_factory=list)
    usm: list[UsmStanding] = field(default_factory=list)

    @property
    def latest(self) -> Assessment | None:
        return self.history[-1] if self.history else None

    @property
    def previous(self) -> Assessment | None:
        return self.history[-2] if len(self.history) > 1 else None


def framework_primary() -> Framework | None:
    return Framework.objects.filter(is_primary=True).select_related("current_version").first()


def assessment_previous(assessment: Assessment) -> Assessment | None:
    """The same account's submission before this one, on the same framework."""
    return (
        Assessment.objects.filter(
            account_id=assessment.account_id,
            status=Assessment.Status.SUBMITTED,
            version__framework_id=assessment.version.framework_id,
            submitted_at__lt=assessment.submitted_at,
        )
        .order_by("-submitted_at")
        .first()
    )


def account_maturity(account) -> AccountMaturity:
    frameworks = list(Framework.objects.select_related("current_version"))
    primary = next((f for f in frameworks if f.is_primary), None)
    result = AccountMaturity(frameworks=frameworks, primary=primary)
    assessments = Assessment.objects.filter(account=account).select_related(
        "version__framework", "created_by"
    )
    result.drafts = list(assessments.filter(status=Assessment.Status.DRAFT))
    if primary:
        result.history = list(
            assessments.filter(
                status=Assessment.Status.SUBMITTED, version__framework=primary
            ).order_by("submitted_at")
        )
    result.links = list(
        SurveyLink.objects.filter(account=account)
        .select_related("framework")
        .annotate(response_count=Count("responses"))
    )
    result.self_assessments = list(
        SelfAssessment.objects.filter(
            account=account, submitted_at__gte=timezone.now() - GAP_WINDOW
        ).select_related("link__framework")
    )
    if primary and result.latest:
        result.gaps = _gaps(primary, result.latest, result.self_assessments)
    for framework in frameworks:
        if framework.kind == Framework.Kind.USM:
            result.usm.append(_usm_standing(framework, assessments))
    return result


def _gaps(primary, latest, self_assessments) -> list[PillarGap]:
    own = [s for s in self_assessments if s.link.framework_id == primary.pk]
    if not own:
        return []
    gaps = []
    for pillar in primary.current_version.pillars.all():
        answers = [s.pillar_scores.get(pillar.key) for s in own]
        answers = [a for a in answers if a is not None]
        gaps.append(
            PillarGap(
                key=pillar.key,
                name=pillar.name,
                customer=sum(answers) / len(answers) if answers else None,
                csm=latest.pillar_scores.get(pillar.key),
            )
        )
    return gaps


def _usm_standing(framework, assessments) -> UsmStanding:
    latest = (
        assessments.filter(status=Assessment.Status.SUBMITTED, version__framework=framework)
        .order_by("-submitted_at")
        .first()
    )
    customer = round(latest.cmi) if latest and latest.cmi is not None else None
    provider = framework.provider_level
    fit = (
        usm_fit(provider_level=provider, customer_level=customer) if customer and provider else None
    )
    return UsmStanding(framework, customer, provider, fit)


def last_assessed(*, account_ids: list[int]) -> dict[str, dict[int, object]]:
    """accounts.hooks.export_facts: each account's latest submitted assessment, by date."""
    rows = (
        Assessment.objects.filter(account_id__in=account_ids, status=Assessment.Status.SUBMITTED)
        .values("account_id")
        .annotate(latest=Max("submitted_at"))
        .order_by()
    )
    return {"last_assessed": {row["account_id"]: timezone.localdate(row["latest"]) for row in rows}}
