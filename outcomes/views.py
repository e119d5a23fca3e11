import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.mapping import upload_page
from accounts.models import Account, ImportJob
from accounts.permissions import can_edit_account
from health.forms import ScorecardEditor
from health.models import Scorecard
from health.scoring import card_from_spec
from health.selectors import scorecard_active, scorecard_spec
from maturity.selectors import framework_primary
from segments.selectors import cell_names, framework_whatif, scorecard_whatif
from segments.whatif import matrix_grid
from tenancy.permissions import can_manage, member_required

from . import backtest, charts, services
from .asof import asof_frame, model_current
from .forms import OutcomeForm, OutcomeImportForm, ScorecardWeightsForm, WeightsForm
from .models import BacktestReport, Outcome
from .reports import (
    HORIZON_DEFAULT,
    backtest_report,
    calibration_framework,
    calibration_scorecard,
    pillar_names,
    renewal_forecast,
    report_progress,
)
from .validation import outcomes_validate


@member_required()
def outcome_add(request, account_pk):
    account = get_object_or_404(Account, pk=account_pk)
    if not can_edit_account(request.membership, account):
        raise PermissionDenied("Only the account's CSM or a manager records its outcomes.")
    initial = {"arr_before": f"{account.arr:.2f}", "occurred_on": timezone.localdate().isoformat()}
    form = OutcomeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        outcomes, errors = outcomes_validate([form.item(account.pk)])
        for field, message in errors.get(0, {}).items():
            form.add_error(field if field in form.fields else None, message)
        if not errors:
            services.outcomes_record(
                organization=request.organization,
                outcomes=outcomes,
                source=Outcome.Source.MANUAL,
                by=request.user,
            )
            outcome = outcomes[0]
            messages.success(
                request, f"Recorded: {outcome.get_kind_display().lower()} on {outcome.occurred_on}."
            )
            return redirect("accounts:detail", pk=account.pk)
    return render(request, "outcomes/outcome_form.html", {"form": form, "account": account})


@member_required(can_manage)
def outcomes_import(request):
    return upload_page(
        request,
        kind=ImportJob.Kind.OUTCOMES,
        form_class=OutcomeImportForm,
        template="outcomes/outcomes_import.html",
    )


def _horizon(request) -> int:
    try:
        horizon = int(request.GET.get("horizon_days", HORIZON_DEFAULT))
    except ValueError:
        return HORIZON_DEFAULT
    return min(max(horizon, 1), 730)


def _k(request, ranked: list[int]) -> int:
    default = max(1, len(ranked) // 10)
    try:
        return max(1, int(request.GET.get("k", default)))
    except ValueError:
        return default


@member_required()
def score_lab(request):
    horizon = _horizon(request)
    report = backtest_report(horizon_days=horizon)
    synthetic = Outcome.objects.filter(source=Outcome.Source.DEMO).count()
    context = {"report": report, "horizon": horizon, "synthetic": synthetic}
    if report.status == BacktestReport.Status.READY:
        figures = report.figures
        ranked = figures.get("ranked_churn", [])
        k = _k(request, ranked)
        context |= {
            "figures": figures,
            "k": k,
            "at_k": backtest.precision_at(ranked, k) if ranked else None,
            "verdict": charts.verdict(figures),
        }
        if figures.get("enough_data"):
            context["charts"] = charts.lab_charts(figures)
            context["auc_rows"] = [
                (label, figures["auc"][key])
                for key, label in [
                    ("chs", "CHS"),
                    ("cmi", "CMI"),
                    ("chs_cmi", "CHS + CMI (out of sample)"),
                    ("chs_same_rows", "CHS on the same rows"),
                ]
            ]
            for cell in figures["cells"]:
                cell["rates"] = [cell["churn"], cell["expansion"], cell["contraction"]]
            context["forecast"] = renewal_forecast(horizon_days=horizon)
            proposal = calibration_framework(horizon_days=horizon)
            names = pillar_names()
            context["calibration"] = proposal
            context["pillar_rows"] = [
                (names.get(key, key), weight, (proposal["proposed"] or {}).get(key))
                for key, weight in proposal["current"].items()
            ]
            card = calibration_scorecard(horizon_days=horizon)
            active = model_current().card
            measures = {m.key: m for m in active.measures} if active else {}
            scorecard = scorecard_active()
            groups = (
                {g["key"]: g["name"] for g in scorecard_spec(scorecard)["groups"]}
                if scorecard
                else {}
            )
            context["card_calibration"] = card
            context["measure_rows"] = [
                (
                    measures[key].name if key in measures else key,
                    groups.get(measures[key].group, "") if key in measures else "",
                    weight,
                    (card["proposed"] or {}).get(key),
                )
                for key, weight in card["current"].items()
            ]
    return render(request, "outcomes/score_lab.html", context)


@member_required()
def score_lab_status(request):
    report = backtest_report(horizon_days=_horizon(request))
    return JsonResponse(
        {
            "status": report.status,
            "finished": report.status != BacktestReport.Status.RUNNING,
            "done": round(report_progress(report) * 100),
            "total": 100,
        }
    )


@member_required()
def score_lab_export(request):
    """The per-outcome as-of table behind the figures, as CSV."""
    horizon = _horizon(request)
    table = asof_frame(horizon)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="backtest-{horizon}d.csv"'
    writer = csv.writer(response)
    writer.writerow(list(table.columns))
    for row in table.itertuples(index=False):
        writer.writerow(["" if _missing(v) else v for v in row])
    return response


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


@member_required()
def weights_candidate(request):
    """A candidate for the primary framework's pillar weights (the calibrated proposal, or a
    manager's edit of it) with its what-if on today's accounts; a manager applies it."""
    framework = framework_primary()
    if framework is None:
        raise Http404("No primary framework.")
    horizon = _horizon(request)
    proposal = calibration_framework(horizon_days=horizon)
    names = pillar_names()
    start = proposal["proposed"] or proposal["current"]
    pillars = [(key, names.get(key, key), start.get(key, 0)) for key in proposal["current"]]
    if request.method == "POST":
        if not request.membership.can_manage:
            raise PermissionDenied("Only managers change a framework's weights.")
        form = WeightsForm(request.POST, pillars=pillars)
    else:
        edited = any(key in request.GET for key, _, _ in pillars)
        form = WeightsForm(request.GET if edited else None, pillars=pillars)
    candidate = form.weights() if form.is_bound and form.is_valid() else None
    if request.method == "POST" and candidate is not None:
        change = services.framework_weights_apply(
            framework=framework, weights=candidate, by=request.user
        )
        version = change.framework.current.number
        note = (
            f"Saved as version {version} of {framework.name}; "
            "earlier assessments keep their scores."
            if change.new_version
            else f"Saved the new weights in {framework.name}."
        )
        if change.rescored:
            note += " Every account's CMI is being recomputed."
        messages.success(request, note)
        return redirect("maturity:framework", pk=framework.pk)
    if not form.is_bound:
        candidate = {key: form.fields[key].initial for key, _, _ in pillars}
    moves = framework_whatif({k: float(v) for k, v in candidate.items()}) if candidate else None
    context = {
        "framework": framework,
        "horizon": horizon,
        "calibration": proposal,
        "form": form,
        "rows": [
            (form[key], name, proposal["current"][key], (proposal["proposed"] or {}).get(key))
            for key, name, _ in pillars
        ],
        "next_version": framework.current.number + 1,
    } | _whatif_context(moves, "framework")
    return render(request, "outcomes/weights_candidate.html", context)


@member_required(can_manage)
def weights_preview(request):
    """The what-if of the pillar weights a manager is typing in the framework editor, as a
    fragment the editor shows before a save (the primary framework's pillars, by key)."""
    framework = framework_primary()
    if framework is None:
        raise Http404("No primary framework.")
    pillars = [(key, name, 0) for key, name in pillar_names().items()]
    form = WeightsForm(request.GET, pillars=pillars)
    if not form.is_valid():
        problems = [m for messages in form.errors.values() for m in messages]
        return render(request, "outcomes/_whatif.html", {"problems": problems})
    moves = framework_whatif({k: float(v) for k, v in form.weights().items()})
    return render(request, "outcomes/_whatif.html", _whatif_context(moves, "framework"))


def _whatif_context(moves, target: str) -> dict:
    names = cell_names(layout="3x3")
    return {
        "moves": moves,
        "matrix": matrix_grid(moves, names) if moves else None,
        "target": target,
    }


@member_required()
def scorecard_candidate(request):
    """A candidate for the active scorecard's group and in-group weights (the calibrated
    proposal, or a manager's edit of it) with its what-if on today's accounts; a manager
    applies it as a scorecard edit."""
    scorecard = scorecard_active()
    if scorecard is None:
        raise Http404("No active scorecard.")
    horizon = _horizon(request)
    proposal = calibration_scorecard(horizon_days=horizon)
    spec = scorecard_spec(scorecard)
    fitted = proposal.get("proposed_card") or {"groups": {}, "measures": {}}
    data = request.POST if request.method == "POST" else None
    if data is None and any(name.startswith(("group-", "measure-")) for name in request.GET):
        data = request.GET
    form = ScorecardWeightsForm(data, spec=spec, start=fitted)
    if request.method == "POST":
        if not request.membership.can_manage:
            raise PermissionDenied("Only managers change a scorecard's weights.")
        if form.is_valid():
            services.scorecard_weights_apply(
                scorecard=scorecard,
                groups={g["key"]: g["weight"] for g in form.spec()["groups"]},
                measures={
                    m["key"]: m["weight"] for g in form.spec()["groups"] for m in g["measures"]
                },
            )
            messages.success(
                request,
                f"Saved the new weights in {scorecard.name}. "
                "Every account's health score is being recomputed.",
            )
            return redirect("health:scorecard", pk=scorecard.pk)
    valid = not form.is_bound or form.is_valid()
    candidate = card_from_spec(form.spec()) if valid else None
    moves = scorecard_whatif(candidate) if candidate is not None else None
    groups = [
        {
            "name": g["name"],
            "field": form[f"group-{g['key']}"],
            "now": g["weight"],
            "fitted": fitted["groups"].get(g["key"]),
            "measures": [
                {
                    "name": m["name"],
                    "field": form[f"measure-{m['key']}"],
                    "now": m["weight"],
                    "fitted": fitted["measures"].get(m["key"]),
                    "effective_now": proposal["current"].get(m["key"]),
                    "effective_fitted": (proposal.get("proposed") or {}).get(m["key"]),
                }
                for m in g["measures"]
            ],
        }
        for g in spec["groups"]
    ]
    context = {
        "scorecard": scorecard,
        "horizon": horizon,
        "calibration": proposal,
        "form": form,
        "groups": groups,
    } | _whatif_context(moves, "scorecard")
    return render(request, "outcomes/scorecard_candidate.html", context)


@member_required(can_manage)
@require_POST
def scorecard_preview(request, pk):
    """The what-if of the scorecard as typed in its editor (every part of it: rules, weights,
    levels), against the active scorecard, as a fragment the editor shows before a save."""
    scorecard = get_object_or_404(Scorecard, pk=pk)
    editor = ScorecardEditor(request.POST, scorecard_spec(scorecard))
    if not editor.is_valid() or editor.spec is None:
        problems = ["Fix the problems marked in the editor to preview what it would change."]
        return render(request, "outcomes/_whatif.html", {"problems": problems})
    moves = scorecard_whatif(card_from_spec(editor.spec))
    return render(request, "outcomes/_whatif.html", _whatif_context(moves, "scorecard"))
