"""maturity's entries on the account timeline: submitted assessments and survey responses."""

from django.urls import reverse

from accounts.timeline import Entry

from .models import Assessment, SelfAssessment


def entries(*, account, kinds: set[str], limit: int) -> list[Entry]:
    found: list[Entry] = []
    if "assessment" in kinds:
        submitted = (
            Assessment.objects.filter(account=account, status=Assessment.Status.SUBMITTED)
            .select_related("version__framework", "created_by")
            .order_by("-submitted_at")[:limit]
        )
        for a in submitted:
            cmi = (
                "no CMI" if a.cmi is None else f"CMI {a.cmi:.1f}{f' ({a.tier})' if a.tier else ''}"
            )
            found.append(
                Entry(
                    at=a.submitted_at,  # type: ignore[arg-type]  # submitted: stamped
                    kind="assessment",
                    title=f"{a.version.framework.name} assessment submitted: {cmi}",
                    detail=f"{a.completeness:.0%} of factors scored" if a.completeness else "",
                    actor=str(a.created_by) if a.created_by else "",
                    url=reverse("maturity:assessment", args=[a.pk]),
                )
            )
    if "survey" in kinds:
        for r in SelfAssessment.objects.filter(account=account).order_by("-submitted_at")[:limit]:
            cmi = "no CMI" if r.cmi is None else f"CMI {r.cmi:.1f}"
            role = f", {r.respondent_role}" if r.respondent_role else ""
            found.append(
                Entry(
                    at=r.submitted_at,
                    kind="survey",
                    title=f"Customer survey answered: {cmi}",
                    actor=f"{r.respondent_name}{role}",
                )
            )
    return found
