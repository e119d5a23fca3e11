"""The customer's own survey: signed, expiring, revocable links and the answers they collect."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from tenancy.models import User

from . import scoring
from .models import Framework, SelfAssessment, SurveyLink
from .selectors import framework_structure

SALT = "maturity.survey-link"


class LinkUnusable(Exception):
    """Why a survey link cannot be used: said plainly to the customer."""


@dataclass(frozen=True)
class LinkTarget:
    organization_id: str
    link_id: int


def survey_link_token(link: SurveyLink) -> str:
    return signing.dumps({"o": str(link.organization_id), "l": link.pk}, salt=SALT)


def survey_link_url(link: SurveyLink) -> str:
    """The link to send, absolute on SITE_URL (never a request's Host, which the sender picks)."""
    return settings.SITE_URL + reverse("maturity:survey", args=[survey_link_token(link)])


def survey_link_email(*, link: SurveyLink, to: str, by: User) -> None:
    """Email an open link to a customer contact, from the CSM who sends it."""
    survey_link_check(link)
    context = {"link": link, "url": survey_link_url(link), "by": by}
    subject = f"{link.account.organization.name}: a short survey on your team's maturity"
    body = render_to_string("maturity/survey_link_email.txt", context)
    send_mail(subject, body, None, [to], fail_silently=False)


def survey_link_read(token: str) -> LinkTarget:
    """Check the signature only; expiry and revocation are checked on the row."""
    try:
        payload = signing.loads(token, salt=SALT)
        return LinkTarget(organization_id=payload["o"], link_id=int(payload["l"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise LinkUnusable("This link is not valid. Check that it was copied whole.") from error


def survey_link_check(link: SurveyLink) -> None:
    if link.revoked_at is not None:
        raise LinkUnusable("This survey link was withdrawn. Ask your contact for a new one.")
    if link.expires_at <= timezone.now():
        raise LinkUnusable("This survey link has expired. Ask your contact for a new one.")


@transaction.atomic
def survey_link_create(
    *, account: Account, framework: Framework, mode: str, valid_days: int, by: User
) -> SurveyLink:
    return SurveyLink.objects.create(
        organization=account.organization,
        account=account,
        framework=framework,
        mode=mode,
        expires_at=timezone.now() + timedelta(days=valid_days),
        created_by=by,
    )


@transaction.atomic
def survey_link_revoke(*, link: SurveyLink) -> SurveyLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def survey_structure(link: SurveyLink) -> scoring.Structure:
    structure = framework_structure(link.framework.current)
    return structure.simplified() if link.mode == SurveyLink.Mode.SIMPLIFIED else structure


@transaction.atomic
def self_assessment_submit(
    *, link: SurveyLink, name: str, email: str, role: str, answers: dict[str, int | None]
) -> SelfAssessment:
    link = SurveyLink.objects.select_for_update().get(pk=link.pk)
    survey_link_check(link)
    score = scoring.score_answers(answers, survey_structure(link))
    return SelfAssessment.objects.create(
        organization=link.organization,
        link=link,
        account=link.account,
        version=link.framework.current,
        respondent_name=name,
        respondent_email=email,
        respondent_role=role,
        answers=answers,
        pillar_scores=score.pillar_scores,
        cmi=score.cmi,
    )
