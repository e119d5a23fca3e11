from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.sorting import ASCENDING, DESCENDING, sort_headers
from tenancy.permissions import can_manage, can_write, member_required

from . import bulk, importing, jobs, mapping, selectors, services
from .filters import SORTS, AccountBrowserFilter
from .forms import AccountForm, BulkForm, ImportForm, MappingForm, NoteForm, SavedViewForm
from .models import Account, BulkJob, ImportJob, SavedView
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
            "bulk_form": BulkForm(
                initial={"query": query.urlencode()},
                actions=_bulk_offered(request),
            ),
            "cell_names": selectors.cell_names_3x3(),
        },
    )


def _csv_download(accounts) -> HttpResponse:
    """These accounts as the export's CSV, named with the moment."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        selectors.account_export_csv(accounts=accounts), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="accounts-{stamp}.csv"'
    return response


@member_required()
def account_export(request):
    filterset = AccountBrowserFilter(
        request.GET or None, queryset=selectors.account_list(), request=request
    )
    return _csv_download(filterset.qs)


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
    return mapping.upload_page(
        request,
        kind=ImportJob.Kind.ACCOUNTS,
        form_class=ImportForm,
        template="accounts/import_start.html",
        context={"jobs": ImportJob.objects.defer("content")[:10]},
    )


@member_required(can_manage)
def import_map(request, token):
    """The mapping step of every CSV import: the file's columns beside the import's fields,
    guessed from a preset (shipped or saved) and the column names, for the member to confirm
    or change, and optionally to save as a preset."""
    upload = services.import_upload_read(organization=request.organization, token=token)
    if upload is None:
        messages.error(request, "That upload has expired. Choose the file again.")
        return redirect("accounts:import")
    spec = mapping.mapping_of(upload.get("kind", ImportJob.Kind.ACCOUNTS))
    columns = importing.header_of(upload["content"])
    preset = request.GET.get("preset") or request.POST.get("preset") or ""
    guess = mapping.mapping_guess(columns, spec, mapping.preset_table(spec, preset))
    fields = spec.fields()
    form = MappingForm(request.POST or None, columns=columns, guess=guess, fields=fields)
    problem = None
    if request.method == "POST" and form.is_valid():
        content = mapping.mapped_csv(upload["content"], spec, form.mapping())
        try:
            spec.read(content)
        except importing.FileError as error:
            problem = str(error)
        else:
            if name := form.cleaned_data["save_as"].strip():
                mapping.mapping_preset_save(
                    organization=request.organization,
                    kind=spec.kind,
                    name=name,
                    chosen=form.mapping(),
                    by=request.user,
                )
            job = services.import_job_create(
                organization=request.organization,
                kind=spec.kind,
                filename=upload["filename"],
                content=content,
                mode=form.cleaned_data["mode"],
                by=request.user,
            )
            services.import_upload_forget(organization=request.organization, token=token)
            return redirect("accounts:import_detail", pk=job.pk)
    return render(
        request,
        "accounts/import_map.html",
        {
            "form": form,
            "spec": spec,
            "filename": upload["filename"],
            "columns": columns,
            "presets": mapping.presets_offered(spec),
            "preset": preset,
            "problem": problem,
            "field_rows": [form[each.key] for each in fields],
        },
    )


@member_required(can_manage)
def import_template(request):
    response = HttpResponse(importing.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ascend-accounts-template.csv"'
    return response


@member_required(can_manage)
def import_detail(request, pk):
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=pk)
    return render(request, "accounts/import_detail.html", {"job": job})


@member_required(can_manage)
def import_status(request, pk):
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=pk)
    progress = cache.get(jobs.job_progress_key(job)) or {"done": 0, "total": 0}
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


@member_required()
@require_POST
def accounts_bulk(request):
    """Reassign, export or act on (accounts.bulk) the ticked accounts, or every account the
    list's filter matches."""
    form = BulkForm(request.POST, actions=_bulk_offered(request))
    query = request.POST.get("query", "")[:2000]
    back = reverse("accounts:list") + (f"?{query}" if query else "")
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    data = form.cleaned_data
    if data["all"]:
        asked = QueryDict(data["query"])
        chosen = AccountBrowserFilter(
            asked or None, queryset=selectors.account_list(), request=request
        ).qs
    else:
        chosen = selectors.account_list().filter(pk__in=data["ids"])
    if data["action"] == "export":
        return _csv_download(chosen)
    if data["action"] == bulk.REASSIGN:
        if not request.membership.can_manage:
            raise PermissionDenied("Only a manager reassigns accounts.")
        action = bulk.bulk_actions_for(request.membership)[bulk.REASSIGN]
        option = str(data["csm"].pk) if data["csm"] else ""
    else:
        action, option = form.actions[data["action"]], data["option"]
    done = bulk.bulk_do(
        organization=request.organization,
        action=action,
        option=option,
        account_ids=list(chosen.values_list("pk", flat=True)),
        by=request.user,
    )
    if isinstance(done, BulkJob):
        return redirect("accounts:bulk_job", pk=done.pk)
    messages.success(request, done)
    return redirect(back)


def _bulk_offered(request) -> dict:
    """The bulk actions the form lists with their options (reassign has its CSM field)."""
    offered = bulk.bulk_actions_for(request.membership)
    return {key: action for key, action in offered.items() if key != bulk.REASSIGN}


@member_required()
def bulk_job_detail(request, pk):
    job = get_object_or_404(BulkJob, pk=pk, created_by=request.user)
    return render(
        request,
        "accounts/bulk_job.html",
        {"job": job, "action": bulk.bulk_actions_for(request.membership).get(job.action)},
    )


@member_required()
def bulk_job_status(request, pk):
    job = get_object_or_404(BulkJob, pk=pk, created_by=request.user)
    progress = cache.get(jobs.job_progress_key(job)) or {"done": 0, "total": 0}
    return JsonResponse({"status": job.status, "finished": job.is_finished, **progress})
