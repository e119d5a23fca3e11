from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.sorting import ASCENDING, DESCENDING, sort_headers
from tenancy.permissions import can_manage, can_write, member_required

from . import selectors, services
from .filters import SORTS, AccountBrowserFilter
from .forms import AccountForm, ImportForm, NoteForm, SavedViewForm
from .models import Account, ImportJob, SavedView
from .panels import panels_context
from .permissions import can_delete_account, can_edit_account
from .timeline import KINDS, account_timeline

PAGE_SIZE = 50
# Amounts and scores are ranked highest first on the first click; text and dates A→Z.
FIRST_SORT = {
    key: DESCENDING if key in {"arr", "chs", "cmi", "chs_trend", "updated_at"} else ASCENDING
    for key in SORTS
}


@member_required()
def account_list(request):
    filterset = AccountBrowserFilter(
        request.GET or None, queryset=selectors.account_list(), request=request
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/account_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "sorts": sort_headers(query, FIRST_SORT),
            "view_form": SavedViewForm(initial={"query": query.urlencode()}),
            "cell_names": selectors.cell_names_3x3(),
        },
    )


@member_required()
def account_export(request):
    filterset = AccountBrowserFilter(
        request.GET or None, queryset=selectors.account_list(), request=request
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        selectors.account_export_csv(accounts=filterset.qs), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="accounts-{stamp}.csv"'
    return response


@member_required()
def account_detail(request, pk, note_form=None):
    account = get_object_or_404(selectors.account_list(), pk=pk)
    kind = request.GET.get("timeline", "")
    kind = kind if kind in KINDS else ""
    context = {
        "account": account,
        "can_edit": can_edit_account(request.membership, account),
        "can_note": request.membership.can_write,
        "note_form": note_form or NoteForm(),
        "timeline": account_timeline(account, kinds={kind} if kind else None),
        "timeline_kinds": KINDS,
        "timeline_kind": kind,
        **panels_context(account, request.membership),
    }
    return render(request, "accounts/account_detail.html", context)


@member_required(can_write)
@require_POST
def note_create(request, pk):
    account = get_object_or_404(Account, pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return account_detail(request, pk, note_form=form)
    services.note_create(account=account, body=form.cleaned_data["body"], author=request.user)
    messages.success(request, "Note added.")
    return redirect(reverse("accounts:detail", args=[account.pk]) + "#timeline")


@member_required(can_write)
def account_create(request):
    form = AccountForm(request.POST or None, organization=request.organization)
    if not request.membership.can_manage:
        form.fields["owner_csm"].disabled = True
        form.initial["owner_csm"] = request.user.pk
    if request.method == "POST" and form.is_valid():
        account = form.save()
        messages.success(request, f"{account} was created.")
        return redirect("accounts:detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form})


@member_required(can_write)
def account_edit(request, pk):
    account = get_object_or_404(Account, pk=pk)
    if not can_edit_account(request.membership, account):
        raise PermissionDenied("Only the account's CSM or a manager can edit it.")
    form = AccountForm(request.POST or None, instance=account, organization=request.organization)
    if not request.membership.can_manage:
        form.fields["owner_csm"].disabled = True
    if request.method == "POST" and form.is_valid():
        services.account_update(account=account, **form.cleaned_data)
        messages.success(request, f"{account} was saved.")
        return redirect("accounts:detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@member_required(can_delete_account)
def account_delete(request, pk):
    account = get_object_or_404(Account, pk=pk)
    if request.method == "POST":
        services.account_delete(account=account)
        messages.success(request, f"{account} was deleted.")
        return redirect("accounts:list")
    return render(request, "accounts/account_confirm_delete.html", {"account": account})


@member_required(can_manage)
def import_start(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = services.import_job_create(
            organization=request.organization,
            filename=form.cleaned_data["file"].name,
            content=form.content,
            mode=form.cleaned_data["mode"],
            by=request.user,
        )
        return redirect("accounts:import_detail", pk=job.pk)
    jobs = ImportJob.objects.defer("content")[:10]
    return render(request, "accounts/import_start.html", {"form": form, "jobs": jobs})


@member_required(can_manage)
def import_detail(request, pk):
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=pk)
    return render(request, "accounts/import_detail.html", {"job": job})


@member_required(can_manage)
def import_status(request, pk):
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=pk)
    progress = cache.get(services.import_progress_key(job.pk)) or {"done": 0, "total": 0}
    return JsonResponse({"status": job.status, "finished": job.is_finished, **progress})


@member_required()
@require_POST
def saved_view_create(request):
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"The view was not saved: {form.errors.as_text()}")
        return redirect(reverse("accounts:list") + "?" + request.POST.get("query", "")[:2000])
    view = services.saved_view_save(
        user=request.user,
        organization=request.organization,
        name=form.cleaned_data["name"],
        query=form.cleaned_data["query"],
        shared=form.cleaned_data["shared"],
    )
    messages.success(request, f"Saved as “{view.name}”: it is in the navigation under Views.")
    return redirect(reverse("accounts:list") + "?" + view.query)


@member_required()
@require_POST
def saved_view_delete(request, pk):
    view = get_object_or_404(SavedView, pk=pk, user=request.user)
    view.delete()
    messages.success(request, f"The view “{view.name}” was deleted.")
    return redirect("accounts:list")
