from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.mapping import upload_page
from accounts.models import Account, ImportJob
from accounts.permissions import can_edit_account
from core.forms import hidden_field_problems
from tenancy.context import tenant_context
from tenancy.permissions import can_manage, can_write, member_required, public_page

from . import history, services, surveys
from .forms import (
    AssessmentImportForm,
    FactorFormSet,
    FrameworkCreateForm,
    PillarFormSet,
    RespondentForm,
    ScoresForm,
    SurveyLinkEmailForm,
    SurveyLinkForm,
    TierFormSet,
    assessment_form,
    spec_from_formsets,
)
from .models import Assessment, Factor, Framework, SurveyLink
from .selectors import assessment_previous, framework_structure
from .usm import LEVELS


def _editable_account(request, pk) -> Account:
    account = get_object_or_404(Account, pk=pk)
    if not can_edit_account(request.membership, account):
        raise PermissionDenied("Only the account's CSM or a manager can do this.")
    return account


@member_required(can_write)
@require_POST
def assessment_new(request, account_pk):
    account = _editable_account(request, account_pk)
    chosen = request.POST.get("framework", "")
    if not chosen.isdigit() or len(chosen) > 18:  # not an id (`abc`, past bigint): a 404
        raise Http404("No such framework.")
    framework = get_object_or_404(Framework, pk=int(chosen))
    assessment = services.assessment_start(account=account, framework=framework, by=request.user)
    return redirect("maturity:assessment", pk=assessment.pk)


@member_required()
def assessment_detail(request, pk):
    assessment = get_object_or_404(
        Assessment.objects.select_related("account", "version__framework"), pk=pk
    )
    factors = list(
        Factor.objects.filter(pillar__version=assessment.version).select_related("pillar")
    )
    if assessment.is_submitted:
        previous = assessment_previous(assessment)
        return render(
            request,
            "maturity/assessment_result.html",
            {
                "assessment": assessment,
                "previous": previous,
                "delta": assessment.cmi - previous.cmi if previous else None,
                "pillars": assessment.version.pillars.all(),
                "answers": {a.factor_key: a for a in assessment.answers.all()},
                "factors": factors,
            },
        )
    editable = can_edit_account(request.membership, assessment.account)
    saved = {a.factor_key: a for a in assessment.answers.all()}
    initial = {}
    for key, answer in saved.items():
        initial[f"score_{key}"] = "unknown" if answer.score is None else str(answer.score)
        initial[f"comment_{key}"] = answer.comment
    for key, text in assessment.unscored_comments.items():
        initial[f"comment_{key}"] = text
    form = assessment_form(
        request.POST if request.method == "POST" else None, factors=factors, initial=initial
    )
    missing = None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("Only the account's CSM or a manager can do this.")
        if form.is_valid():
            try:
                answers = form.answers()
                services.assessment_save_answers(
                    assessment=assessment, answers=answers, comments=form.comments()
                )
                if "submit" not in request.POST and "confirm_partial" not in request.POST:
                    messages.success(request, "Draft saved.")
                    return redirect("maturity:assessment", pk=assessment.pk)
                gaps = None
                if "confirm_partial" not in request.POST:
                    gaps = services.assessment_missing(answers, assessment.version)
                if gaps is None:
                    services.assessment_submit(assessment=assessment, by=request.user)
                    messages.success(request, "Assessment submitted.")
                    return redirect("maturity:assessment", pk=assessment.pk)
                # Kept as a draft: the page says what is missing and asks to confirm.
                names = {factor.key: factor.name for factor in factors}
                missing = {
                    "unanswered": [names[key] for key in gaps[0]],
                    "unknown": [names[key] for key in gaps[1]],
                }
            except ValidationError as error:
                form.add_error(None, error)
    return render(
        request,
        "maturity/assessment_form.html",
        {
            "assessment": assessment,
            "form": form,
            "rows": [
                (factor, form[f"score_{factor.key}"], form[f"comment_{factor.key}"])
                for factor in factors
            ],
            "editable": editable,
            "missing": missing,
            "scored": len(factors) - sum(map(len, missing.values())) if missing else None,
        },
    )


@member_required(can_write)
@require_POST
def survey_link_create(request, account_pk):
    account = _editable_account(request, account_pk)
    form = SurveyLinkForm(request.POST)
    if form.is_valid():
        link = surveys.survey_link_create(
            account=account,
            framework=form.cleaned_data["framework"],
            mode=form.cleaned_data["mode"],
            valid_days=form.cleaned_data["valid_days"],
            by=request.user,
        )
        messages.success(
            request,
            "The survey link was created. Copy it or email it from the list under "
            f"Customer self-assessment: {surveys.survey_link_url(link)}",
        )
    else:
        messages.error(request, f"The link was not created: {form.errors.as_text()}")
    return redirect("accounts:detail", pk=account.pk)


@member_required(can_write)
@require_POST
def survey_link_email(request, pk):
    link = get_object_or_404(SurveyLink.objects.select_related("account"), pk=pk)
    _editable_account(request, link.account_id)
    form = SurveyLinkEmailForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"The link was not sent: {form.errors['email'][0]}")
    else:
        try:
            surveys.survey_link_email(link=link, to=form.cleaned_data["email"], by=request.user)
        except surveys.LinkUnusable as error:
            messages.error(request, f"The link was not sent: {error}")
        else:
            messages.success(
                request, f"The survey link was emailed to {form.cleaned_data['email']}."
            )
    return redirect(reverse("accounts:detail", args=[link.account_id]) + "#survey-links")


@member_required(can_write)
@require_POST
def survey_link_revoke(request, pk):
    link = get_object_or_404(SurveyLink, pk=pk)
    _editable_account(request, link.account_id)
    surveys.survey_link_revoke(link=link)
    messages.success(request, "The survey link was withdrawn.")
    return redirect("accounts:detail", pk=link.account_id)


@public_page
def survey(request, token):
    """The customer's survey: no login; the signed token names the organization and link."""
    try:
        target = surveys.survey_link_read(token)
    except surveys.LinkUnusable as error:
        return render(request, "maturity/survey_closed.html", {"reason": error}, status=404)
    with tenant_context(target.organization_id):
        link = (
            SurveyLink.objects.select_related("account", "framework__current_version")
            .filter(pk=target.link_id)
            .first()
        )
        try:
            if link is None:
                raise surveys.LinkUnusable("This link is not valid.")
            surveys.survey_link_check(link)
        except surveys.LinkUnusable as error:
            return render(request, "maturity/survey_closed.html", {"reason": error}, status=410)
        version = link.framework.current_version
        factors = list(Factor.objects.filter(pillar__version=version).select_related("pillar"))
        if link.mode == SurveyLink.Mode.SIMPLIFIED:
            # A pillar's 1 and 5 mean what its factors' Low and High descriptions say.
            items = [
                (
                    p.key,
                    p.name,
                    p.survey_question,
                    [f.low for f in factors if f.pillar_id == p.pk],
                    [f.high for f in factors if f.pillar_id == p.pk],
                )
                for p in version.pillars.all()
            ]
        else:
            items = [(f.key, f.name, f.question, [f.low], [f.high]) for f in factors]
        respondent = RespondentForm(request.POST or None)
        scores = ScoresForm(request.POST or None, questions=[(k, n) for k, n, *_ in items])
        if request.method == "POST" and respondent.is_valid() and scores.is_valid():
            answers = scores.answers()
            if all(value is None for value in answers.values()):
                scores.add_error(None, "Please answer at least one question.")
            else:
                surveys.self_assessment_submit(
                    link=link,
                    name=respondent.cleaned_data["name"],
                    email=respondent.cleaned_data["email"],
                    role=respondent.cleaned_data["role"],
                    answers=answers,
                )
                return render(request, "maturity/survey_thanks.html", {"link": link})
        return render(
            request,
            "maturity/survey.html",
            {
                "link": link,
                "respondent": respondent,
                "scores": scores,
                "rows": [
                    (name, question, scores[f"score_{key}"], low, high)
                    for key, name, question, low, high in items
                ],
            },
        )


@member_required()
def framework_list(request):
    form = FrameworkCreateForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.can_manage:
            raise PermissionDenied("Only managers add frameworks.")
        if form.is_valid():
            framework = services.framework_create_from_template(
                organization=request.organization,
                template=form.cleaned_data["template"],
                name=form.cleaned_data["name"],
                by=request.user,
            )
            messages.success(request, f"{framework} was created from its template.")
            return redirect("maturity:framework", pk=framework.pk)
    frameworks = Framework.objects.select_related("current_version")
    return render(request, "maturity/framework_list.html", {"frameworks": frameworks, "form": form})


@member_required()
def framework_detail(request, pk):
    framework = get_object_or_404(Framework.objects.select_related("current_version"), pk=pk)
    spec = services.version_spec(framework.current_version)
    factors = [{**f, "pillar": p["key"]} for p in spec["pillars"] for f in p["factors"]]
    pillars = [{k: v for k, v in p.items() if k != "factors"} for p in spec["pillars"]]
    data = request.POST if request.method == "POST" else None
    pillar_set = PillarFormSet(data, initial=pillars, prefix="pillars")
    factor_set = FactorFormSet(data, initial=factors, prefix="factors")
    tier_set = TierFormSet(data, initial=spec["tiers"], prefix="tiers")
    problems = []
    if request.method == "POST":
        if not request.membership.can_manage:
            raise PermissionDenied("Only managers edit frameworks.")
        if not all(s.is_valid() for s in (pillar_set, factor_set, tier_set)):
            problems = hidden_field_problems(pillar_set, factor_set, tier_set)
        else:
            try:
                change = services.framework_update(
                    framework=framework,
                    spec=spec_from_formsets(pillar_set, factor_set, tier_set),
                    by=request.user,
                )
            except ValidationError as error:
                problems = [m for messages_ in error.message_dict.values() for m in messages_]
            else:
                note = (
                    f"Saved as version {change.framework.current_version.number}; "
                    "earlier assessments keep their scores."
                    if change.new_version
                    else "Saved."
                )
                if change.rescored:
                    note += " Every account's CMI is being recomputed."
                messages.success(request, note)
                return redirect("maturity:framework", pk=framework.pk)
    return render(
        request,
        "maturity/framework_detail.html",
        {
            "framework": framework,
            "spec": spec,
            "pillar_set": pillar_set,
            "factor_set": factor_set,
            "tier_set": tier_set,
            "problems": problems,
            "levels": LEVELS.items(),
        },
    )


@member_required(can_manage)
@require_POST
def framework_provider_level(request, pk):
    framework = get_object_or_404(Framework, pk=pk, kind=Framework.Kind.USM)
    level = request.POST.get("provider_level")
    try:
        services.framework_set_provider_level(
            framework=framework, level=int(level) if level else None
        )
    except (ValidationError, ValueError):
        messages.error(request, "Your provider level is a whole number from 1 to 5.")
    else:
        messages.success(request, "Your provider level was saved.")
    return redirect("maturity:framework", pk=framework.pk)


@member_required(can_manage)
def assessments_import(request):
    """Past assessments from a CRM or a spreadsheet, checked row by row as the API checks."""
    frameworks = [
        (framework, list(framework_structure(framework.current).factors))
        for framework in Framework.objects.select_related("current_version")
    ]
    return upload_page(
        request,
        kind=ImportJob.Kind.ASSESSMENTS,
        form_class=AssessmentImportForm,
        template="maturity/assessments_import.html",
        context={"frameworks": frameworks},
    )


@member_required(can_manage)
def assessments_import_template(request):
    response = HttpResponse(history.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ascend-assessments-template.csv"'
    return response
