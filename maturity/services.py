"""Writes for frameworks, assessments and the account's derived CMI."""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from core.derivation import Cause, CauseKind, recompute_requested
from core.events import event_emitted
from tenancy.models import Organization, User

from . import scoring
from .models import Answer, Assessment, Factor, Framework, FrameworkVersion, Pillar, Tier
from .selectors import framework_structure

TEMPLATE_DIR = Path(__file__).resolve().parent / "framework_templates"
TEMPLATES = ("cmi", "defence", "it_wholesale", "usm")
FACTOR_TEXT_FIELDS = ("name", "question", "low", "level_2", "level_3", "level_4", "high")


def template_load(key: str) -> dict:
    if key not in TEMPLATES:
        raise ValidationError({"template": f"No template “{key}”."})
    return json.loads((TEMPLATE_DIR / f"{key}.json").read_text())


def _version_build(*, framework: Framework, number: int, spec: dict, by: User | None):
    version = FrameworkVersion.objects.create(
        organization=framework.organization, framework=framework, number=number, created_by=by
    )
    _version_fill(version, spec)
    framework.current_version = version
    framework.save(update_fields=["current_version"])
    return version


def _version_fill(version: FrameworkVersion, spec: dict) -> None:
    """Write a version's pillars, factors and tiers from a spec shaped like a template file."""
    organization = version.organization
    factors = []
    for position, pillar_spec in enumerate(spec["pillars"]):
        pillar = Pillar.objects.create(
            organization=organization,
            version=version,
            key=pillar_spec["key"],
            name=pillar_spec["name"],
            weight=Decimal(str(pillar_spec["weight"])),
            position=position,
            survey_question=pillar_spec.get("survey_question", ""),
        )
        for factor_position, factor_spec in enumerate(pillar_spec["factors"]):
            factors.append(
                Factor(
                    organization=organization,
                    pillar=pillar,
                    key=factor_spec["key"],
                    direction=factor_spec.get("direction", Factor.Direction.NORMAL),
                    position=factor_position,
                    **{name: factor_spec.get(name, "") for name in FACTOR_TEXT_FIELDS},
                )
            )
    Factor.objects.bulk_create(factors)
    Tier.objects.bulk_create(
        Tier(
            organization=organization,
            version=version,
            name=tier["name"],
            lower=Decimal(str(tier["lower"])),
            colour=tier.get("colour", "#8892a6"),
        )
        for tier in spec["tiers"]
    )
    _touch(version)


def _touch(version: FrameworkVersion) -> None:
    """A new `edited_at`, the key under which its structure is cached: set before a version's
    rows change and after, so a structure read in between is cached under a key that is
    never read again, whether the transaction commits or rolls back."""
    version.save(update_fields=["edited_at"])


def framework_spec_validate(spec: dict) -> None:
    """Raise ValidationError with every reason the spec cannot be scored."""
    errors = {}
    weights = [Decimal(str(p["weight"])) for p in spec["pillars"]]
    if message := scoring.weights_error(weights):
        errors["weights"] = message
    lowers = [Decimal(str(t["lower"])) for t in spec["tiers"]]
    if message := scoring.tiers_error(lowers):
        errors["tiers"] = message
    keys = [f["key"] for p in spec["pillars"] for f in p["factors"]]
    if len(keys) != len(set(keys)):
        errors["factors"] = "Factor keys must be unique within a framework."
    if any(not p["factors"] for p in spec["pillars"]):
        errors["pillars"] = "Every pillar needs at least one factor."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def framework_create_from_template(
    *,
    organization: Organization,
    template: str,
    name: str = "",
    primary: bool | None = None,
    by: User | None = None,
) -> Framework:
    spec = template_load(template)
    framework_spec_validate(spec)
    if primary is None:
        primary = (
            spec["kind"] == Framework.Kind.INDEX
            and not Framework.objects.filter(is_primary=True).exists()
        )
    framework = Framework.objects.create(
        organization=organization,
        name=name or spec["name"],
        kind=spec["kind"],
        template=template,
        description=spec.get("description", ""),
        is_primary=primary,
    )
    _version_build(framework=framework, number=1, spec=spec, by=by)
    return framework


def version_spec(version: FrameworkVersion) -> dict:
    """A version as a template-shaped dict, the form editors work on."""
    pillars = version.pillars.prefetch_related("factors")
    return {
        "pillars": [
            {
                "key": pillar.key,
                "name": pillar.name,
                "weight": pillar.weight,
                "survey_question": pillar.survey_question,
                "factors": [
                    {
                        "key": factor.key,
                        "direction": factor.direction,
                        **{name: getattr(factor, name) for name in FACTOR_TEXT_FIELDS},
                    }
                    for factor in pillar.factors.all()
                ],
            }
            for pillar in pillars
        ],
        "tiers": [
            {"name": tier.name, "lower": tier.lower, "colour": tier.colour}
            for tier in version.tiers.all()
        ],
    }


@dataclass(frozen=True)
class FrameworkChange:
    framework: Framework
    new_version: bool
    rescored: bool


@transaction.atomic
def framework_update(*, framework: Framework, spec: dict, by: User | None) -> FrameworkChange:
    """Apply an edited spec. A version with submitted assessments is never changed: the edit
    becomes a new version, so old assessments keep the scores they were given."""
    framework_spec_validate(spec)
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    current = framework.current
    before = version_spec(current)
    if _normalized(before) == _normalized(spec):
        return FrameworkChange(framework, new_version=False, rescored=False)
    used = Assessment.objects.filter(version=current, status=Assessment.Status.SUBMITTED).exists()
    if used:
        version = _version_build(framework=framework, number=current.number + 1, spec=spec, by=by)
        Assessment.objects.filter(version=current, status=Assessment.Status.DRAFT).update(
            version=version
        )
    else:
        _touch(current)
        current.pillars.all().delete()
        current.tiers.all().delete()
        _version_fill(current, spec)
    rescore = _scoring_part(before) != _scoring_part(spec)
    if rescore:
        framework_recompute_enqueue(framework=framework)
    return FrameworkChange(framework, new_version=used, rescored=rescore)


def _normalized(spec: dict) -> str:
    return json.dumps(spec, sort_keys=True, default=lambda value: str(Decimal(value).normalize()))


def _scoring_part(spec: dict) -> str:
    """What the index depends on: weights, factor membership and direction, tiers."""
    return _normalized(
        {
            "weights": {p["key"]: p["weight"] for p in spec["pillars"]},
            "factors": {
                f["key"]: (p["key"], f["direction"]) for p in spec["pillars"] for f in p["factors"]
            },
            "tiers": [(t["name"], t["lower"]) for t in spec["tiers"]],
        }
    )


@transaction.atomic
def framework_set_provider_level(*, framework: Framework, level: int | None) -> Framework:
    framework.provider_level = level
    framework.full_clean()
    framework.save(update_fields=["provider_level"])
    return framework


def framework_recompute_enqueue(*, framework: Framework) -> None:
    if framework.is_primary:
        recompute_requested(
            organization=framework.organization,
            account_ids=None,
            cause=Cause(CauseKind.FRAMEWORK, framework.pk),
        )


def framework_defaults_install(*, organization: Organization, by: User) -> None:
    """organization_defaults: the deck's CMI framework, primary."""
    framework_create_from_template(organization=organization, template="cmi", primary=True, by=by)


@transaction.atomic
@transaction.atomic
def assessment_start(*, account: Account, framework: Framework, by: User) -> Assessment:
    """The account's open draft on this framework's current version, reopened; or a new one.
    The account's row is locked, so two clicks at once still make one draft."""
    Account.objects.select_for_update().filter(pk=account.pk).first()
    draft = (
        Assessment.objects.filter(
            account=account, version=framework.current, status=Assessment.Status.DRAFT
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return draft or Assessment.objects.create(
        organization=account.organization,
        account=account,
        version=framework.current,
        created_by=by,
    )


def assessment_missing(
    answers: dict[str, int | None], version: FrameworkVersion
) -> tuple[list[str], list[str]] | None:
    """Why these answers would score less than the whole framework: the factor keys not
    answered yet and those answered Unknown, in the framework's order; None when every factor
    is scored (the scoring module's completeness is 1)."""
    structure = framework_structure(version)
    if scoring.score_answers(answers, structure).completeness >= 1:
        return None
    unanswered = [key for key in structure.factors if key not in answers]
    unknown = [key for key in structure.factors if key in answers and answers[key] is None]
    return unanswered, unknown


def answers_errors(answers: dict, version: FrameworkVersion) -> dict[str, ValidationError]:
    """Per factor key, why an answer is refused."""
    known = set(framework_structure(version).factors)
    low, high = scoring.SCALE
    errors = {}
    for key, score in answers.items():
        if key not in known:
            errors[key] = ValidationError("Not a factor of this framework.", code="does_not_exist")
        elif score is not None and (
            isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high
        ):
            errors[key] = ValidationError(
                f"A score is a whole number from {low} to {high}, or null for unknown."
            )
    return errors


ANSWERS = "answers"  # the key of a problem with the answers as a whole


def assessment_create_errors(
    answers: dict, version: FrameworkVersion
) -> dict[str, ValidationError]:
    """Every reason `assessment_create` refuses these answers: per factor key, and under
    ANSWERS when no factor is scored at all. The API and the history import ask it first."""
    if errors := answers_errors(answers, version):
        return errors
    if scoring.score_answers(answers, framework_structure(version)).cmi is None:
        return {ANSWERS: ValidationError("Score at least one factor before submitting.")}
    return {}


@transaction.atomic
def assessment_save_answers(
    *,
    assessment: Assessment,
    answers: dict[str, int | None],
    comments: dict[str, str] | None = None,
) -> Assessment:
    if assessment.is_submitted:
        raise ValidationError("A submitted assessment cannot change; start a new one.")
    if errors := answers_errors(answers, assessment.version):
        raise ValidationError(errors)
    Answer.objects.filter(assessment=assessment).delete()
    comments = comments or {}
    _answers_write(assessment, answers, comments)
    assessment.unscored_comments = {
        key: text for key, text in comments.items() if text and key not in answers
    }
    assessment.save(update_fields=["unscored_comments"])
    return assessment


def _answers_write(assessment: Assessment, answers: dict, comments: dict) -> None:
    Answer.objects.bulk_create(
        Answer(
            organization=assessment.organization,
            assessment=assessment,
            factor_key=key,
            score=score,
            comment=comments.get(key, ""),
        )
        for key, score in answers.items()
    )


@transaction.atomic
def assessment_submit(*, assessment: Assessment, by: User | None = None) -> Assessment:
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.is_submitted:
        raise ValidationError("This assessment was already submitted.")
    answers = dict(assessment.answers.values_list("factor_key", "score"))
    score = scoring.score_answers(answers, framework_structure(assessment.version))
    if score.cmi is None:
        raise ValidationError("Score at least one factor before submitting.")
    assessment.status = Assessment.Status.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.cmi = score.cmi
    assessment.tier = score.tier
    assessment.pillar_scores = score.pillar_scores
    assessment.completeness = score.completeness
    assessment.is_partial = score.is_partial
    assessment.save()
    _submitted(assessment)
    return assessment


def _submitted(assessment: Assessment) -> None:
    """What a submission sets off: its webhook event, then its account's recompute."""
    event_emitted(
        organization_id=assessment.organization_id,
        event="assessment.submitted",
        payloads=[
            {
                "assessment": assessment.pk,
                "account": assessment.account_id,
                "external_id": assessment.account.external_id,
                "framework": assessment.version.framework_id,
                "cmi": assessment.cmi,
                "tier": assessment.tier,
                "pillar_scores": assessment.pillar_scores,
                "completeness": assessment.completeness,
                "submitted_at": assessment.submitted_at,
            }
        ],
    )
    recompute_requested(
        organization=assessment.organization,
        account_ids=[assessment.account_id],
        cause=Cause(CauseKind.ASSESSMENT, assessment.pk),
    )


@transaction.atomic
def assessment_create(
    *,
    account: Account,
    framework: Framework,
    answers: dict[str, int | None],
    by: User | None,
    comments: dict[str, str] | None = None,
    submitted_at: datetime | None = None,
) -> Assessment:
    """Start, answer and submit in one go: the API's and imports' path. The same checks and
    scores as `assessment_start`, `assessment_save_answers` and `assessment_submit` in turn,
    written as one submitted row and its answers. `submitted_at` loads a past assessment
    (history from a CRM); it is the caller's to check it is not in the future."""
    version = framework.current
    errors = assessment_create_errors(answers, version)
    if whole := errors.pop(ANSWERS, None):
        raise whole
    if errors:
        raise ValidationError(errors)
    score = scoring.score_answers(answers, framework_structure(version))
    assessment = Assessment.objects.create(
        organization=account.organization,
        account=account,
        version=version,
        created_by=by,
        status=Assessment.Status.SUBMITTED,
        submitted_at=submitted_at or timezone.now(),
        cmi=score.cmi,
        tier=score.tier,
        pillar_scores=score.pillar_scores,
        completeness=score.completeness,
        is_partial=score.is_partial,
    )
    _answers_write(assessment, answers, comments or {})
    _submitted(assessment)
    return assessment
