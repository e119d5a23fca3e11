from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.mapping import upload_page
from accounts.models import Account, ImportJob
from accounts.permissions import can_edit_account
from tenancy.permissions import can_manage, can_write, member_required

from . import services
from .forms import (
    ManualValueForm,
    MetricImportForm,
    OverrideForm,
    ScorecardCreateForm,
    ScorecardEditor,
)
from .models import HealthOverride, Measure, MetricValue, Scorecard
from .selectors import scorecard_spec
from .validation import metrics_validate


def _field_errors(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    return " ".join(error.messages)


@member_required(can_write)
@require_POST
def value_add(request, account_pk):
    account = get_object_or_404(Account, pk=account_pk)
    if not can_edit_account(request.membership, account):
        raise PermissionDenied("Only the account's CSM or a manager can record values.")
    form = ManualValueForm(
        request.POST, measures=Measure.objects.filter(group__scorecard__is_active=True, manual=True)
    )
    if form.is_valid():
        measure = form.cleaned_data["measure"]
        moment = timezone.make_aware(datetime.combine(form.cleaned_data["observed_on"], time(12)))
        values, errors = metrics_validate(
            [
                {
                    "account": account.pk,
                    "metric": measure.metric,
                    "value": form.cleaned_data["value"],
                    "observed_at": min(moment, timezone.now()).isoformat(),
                }
            ]
        )
        if errors:
            messages.error(request, f"Not recorded: {' '.join(errors[0].values())}")
        else:
            services.metrics_record(
                organization=request.organization,
                values=values,
                source=MetricValue.Source.MANUAL,
                by=request.user,
            )
            messages.success(request, f"{measure.name} recorded.")
    else:
        messages.error(request, f"Not recorded: {form.errors.as_text()}")
    return redirect("accounts:detail", pk=account.pk)


@member_required(can_manage)
@require_POST
def override_add(request, account_pk):
    account = get_object_or_404(Account, pk=account_pk)
    form = OverrideForm(request.POST)
    if form.is_valid():
        until = timezone.make_aware(datetime.combine(form.cleaned_data["expires_on"], time.max))
        try:
            services.override_create(
                account=account,
                score=form.cleaned_data["score"],
                reason=form.cleaned_data["reason"],
                expires_at=until,
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, f"Not overridden: {_field_errors(error)}")
        else:
            messages.success(
                request,
                f"The health score is overridden until {form.cleaned_data['expires_on']:%Y-%m-%d}.",
            )
    else:
        messages.error(request, f"Not overridden: {form.errors.as_text()}")
    return redirect("accounts:detail", pk=account.pk)


@member_required(can_manage)
@require_POST
def override_end(request, pk):
    override = get_object_or_404(HealthOverride, pk=pk)
    services.override_end(override=override)
    messages.success(request, "The override was withdrawn; the computed score applies again.")
    return redirect("accounts:detail", pk=override.account_id)


@member_required(can_manage)
def metrics_import(request):
    return upload_page(
        request,
        kind=ImportJob.Kind.METRICS,
        form_class=MetricImportForm,
        template="health/metrics_import.html",
    )


@member_required()
def scorecard_list(request):
    form = ScorecardCreateForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.can_manage:
            raise PermissionDenied("Only managers add scorecards.")
        if form.is_valid():
            scorecard = services.scorecard_create_from_template(
                organization=request.organization, template=form.cleaned_data["template"]
            )
            messages.success(request, f"{scorecard} was created from its template.")
            return redirect("health:scorecard", pk=scorecard.pk)
    return render(
        request, "health/scorecard_list.html", {"scorecards": Scorecard.objects.all(), "form": form}
    )


@member_required()
def scorecard_detail(request, pk):
    scorecard = get_object_or_404(Scorecard, pk=pk)
    spec = scorecard_spec(scorecard)
    editor = ScorecardEditor(request.POST if request.method == "POST" else None, spec)
    if request.method == "POST":
        if not request.membership.can_manage:
            raise PermissionDenied("Only managers edit scorecards.")
        if editor.is_valid():
            try:
                services.scorecard_update(scorecard=scorecard, spec=editor.spec)
            except ValidationError as error:  # what the service checks besides the editor
                editor.problems = [m for ms in error.message_dict.values() for m in ms]
            else:
                messages.success(
                    request,
                    "Saved. Every account's health score is being recomputed."
                    if scorecard.is_active
                    else "Saved.",
                )
                return redirect("health:scorecard", pk=scorecard.pk)
    return render(
        request,
        "health/scorecard_detail.html",
        {
            "scorecard": scorecard,
            "spec": spec,
            "editor": editor,
            "groups": editor.groups,
            "measures": editor.measures,
            "levels": editor.levels,
        },
    )


@member_required(can_manage)
@require_POST
def scorecard_activate(request, pk):
    scorecard = get_object_or_404(Scorecard, pk=pk)
    services.scorecard_activate(scorecard=scorecard)
    messages.success(request, f"{scorecard} is now active; every account is being recomputed.")
    return redirect("health:scorecard", pk=scorecard.pk)
