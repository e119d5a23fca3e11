from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Account
from accounts.selectors import account_export_rows
from core.spreadsheets import csv_text, xlsx_workbook
from tenancy.permissions import member_required

from . import selectors, services
from .cells import GRID_2X2, GRID_3X3, direction
from .charts import quadrant_figure
from .forms import DEFAULT_PERIOD, DashboardFilterForm, GridViewForm, cell_formset, cells_drawn
from .models import Grid


def _view(request, grid: Grid) -> str:
    """The layout asked for (?view=3x3 or 2x2), or the grid's own."""
    view = request.GET.get("view") or grid.view
    return view if view in Grid.View.values else grid.view


def _filters(request) -> tuple[DashboardFilterForm, int]:
    """The dashboard's filters and the flows' period in days. Only the filters a person set
    are bound, so a link such as ?view=2x2 keeps the 90-day default that it shows."""
    data = request.GET.copy()
    if not data.get("period"):
        data["period"] = str(DEFAULT_PERIOD)
    form = DashboardFilterForm(data)
    period = (form.cleaned_data.get("period") if form.is_valid() else None) or DEFAULT_PERIOD
    return form, period


@member_required()
def dashboard(request):
    grid = selectors.grid_current()
    view = _view(request, grid)
    form, period = _filters(request)
    accounts = form.apply(Account.objects.all())
    stats, unsegmented, count, arr = selectors.grid_summary(accounts, grid, view)
    chs_lines, cmi_lines = selectors.thresholds()
    points, placed = selectors.scatter_points(accounts, total=count - unsegmented.count)
    since = timezone.now() - timedelta(days=period)
    matrix, per_cell = selectors.migration_flows(accounts, since, view)
    cells = selectors.cells_of(grid, view)
    order = list((GRID_2X2 if view == Grid.View.GRID_2X2 else GRID_3X3).values())
    flow_rows = [
        {
            "cell": cells[source],
            "counts": [matrix.get((source, target), 0) for target in order],
            **per_cell.get(source, {"up": 0, "down": 0, "across": 0, "out": 0}),
        }
        for source in order
    ]
    query = request.GET.copy()
    query.pop("view", None)
    return render(
        request,
        "segments/dashboard.html",
        {
            "grid": grid,
            "view": view,
            "form": form,
            "count": count,
            "arr": arr,
            "stats": sorted(stats, key=lambda c: (-c.row, c.column)),
            "unsegmented": unsegmented,
            "figure": quadrant_figure(
                points, stats, chs_lines, cmi_lines, view, placed if placed > len(points) else None
            ),
            "sampled": placed > len(points),
            "shown": len(points),
            "placed": placed,
            "flow_columns": [cells[k] for k in order],
            "flow_rows": flow_rows,
            "period": period,
            "query": query.urlencode(),
            "onboarding": selectors.onboarding(),
            "triage": selectors.triage(accounts, timezone.localdate()),
        },
    )


@member_required(lambda membership: membership.can_manage)
def grid_settings(request):
    grid = selectors.grid_current()
    view_form = GridViewForm(request.POST or None, initial={"view": grid.view}, prefix="grid")
    queryset = grid.cells.all()
    cells = cell_formset(queryset)(request.POST or None, queryset=queryset, prefix="cells")
    if request.method == "POST" and view_form.is_valid() and cells.is_valid():
        services.grid_set_view(grid=grid, view=view_form.cleaned_data["view"])
        for form in cells.forms:
            if form.has_changed():
                services.cell_update(
                    cell=form.instance,
                    name=form.cleaned_data["name"],
                    action=form.cleaned_data["action"],
                    colour=form.cleaned_data["colour"],
                )
        messages.success(request, "The grid was saved.")
        return redirect("segments:dashboard")
    return render(
        request,
        "segments/grid_settings.html",
        {"view_form": view_form, "cells": cells, "layouts": cells_drawn(cells)},
    )


def migration_label(migration, cells) -> dict:
    return {
        "migration": migration,
        "from": cells.get(migration.from_segment),
        "to": cells.get(migration.to_segment),
        "direction": direction(migration.from_segment, migration.to_segment),
    }


@member_required()
def segment_metrics(request):
    """The per-segment metrics table, fetched by the dashboard after it has drawn."""
    grid = selectors.grid_current()
    view = _view(request, grid)
    form, period = _filters(request)
    # Churned accounts count here unless a stage is chosen: retention is the share not churned.
    accounts = form.apply(Account.objects.all(), churned=True)
    stats = selectors.grid_summary(accounts, grid, view)[0]
    _, per_cell = selectors.migration_flows(accounts, timezone.now() - timedelta(days=period), view)
    metrics = selectors.segment_metrics(accounts, stats, per_cell, view)
    rows = [(cell, metrics[cell.key]) for cell in sorted(stats, key=lambda c: (-c.row, c.column))]
    return render(request, "segments/_metrics.html", {"metrics": rows, "period": period})


CELL_HEADER = ["cell", "action", "accounts", "share", "arr", "arr_share"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell_rows(stats, unsegmented) -> list[list]:
    ordered = sorted(stats, key=lambda c: (-c.row, c.column))
    return [
        [c.name, c.action, c.count, round(c.share, 4), round(c.arr, 2), round(c.arr_share, 4)]
        for c in [*ordered, unsegmented]
    ]


@member_required()
def dashboard_export(request, what: str):
    """The dashboard's cell table or its accounts, as the filters and view chose them: a CSV
    of either, or one Excel workbook with both (what = cells.csv, accounts.csv, xlsx)."""
    if what not in {"cells.csv", "accounts.csv", "xlsx"}:
        raise Http404("No such export.")
    grid = selectors.grid_current()
    view = _view(request, grid)
    form, _ = _filters(request)
    accounts = form.apply(Account.objects.all())
    stats, unsegmented, _, _ = selectors.grid_summary(accounts, grid, view)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    body: str | bytes
    if what == "cells.csv":
        body, kind, name = csv_text(CELL_HEADER, _cell_rows(stats, unsegmented)), "csv", "cells"
    else:
        header, rows = account_export_rows(accounts=accounts.order_by("name", "pk"))
        if what == "accounts.csv":
            body, kind, name = csv_text(header, rows), "csv", "accounts"
        else:
            sheets = [
                (f"Cells ({view})", CELL_HEADER, _cell_rows(stats, unsegmented)),
                ("Accounts", header, list(rows)),
            ]
            body, kind, name = xlsx_workbook(sheets), "xlsx", "dashboard"
    response = HttpResponse(
        body, content_type=XLSX if kind == "xlsx" else "text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{kind}"'
    return response
