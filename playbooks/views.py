from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Account
from accounts.permissions import can_edit_account
from core.redirects import next_or
from segments.models import Grid
from segments.selectors import cell_names
from tenancy.models import Membership
from tenancy.permissions import can_manage, can_write, member_required

from . import selectors, services
from .charts import outcome_bars
from .forms import (
    OutcomesForm,
    PlaybookForm,
    RunStartForm,
    StepFormSet,
    TaskBulkForm,
    TaskCloseForm,
)
from .models import Playbook, PlaybookRun, PlaybookTask
from .outcomes import playbook_outcomes


@member_required()
def playbook_list(request):
    if request.method == "POST":
        if not request.membership.can_manage:
            raise PermissionDenied("Only managers restore the default playbooks.")
        created = services.playbook_defaults_install(organization=request.organization)
        messages.success(request, f"{len(created)} default playbook(s) added.")
        return redirect("playbooks:list")
    return render(
        request,
        "playbooks/playbook_list.html",
        {
            "playbooks": Playbook.objects.prefetch_related("steps"),
            "cell_names": cell_names(layout=Grid.View.GRID_3X3),
        },
    )


@member_required(can_manage)
def playbook_edit(request, pk=None):
    playbook = (
        get_object_or_404(Playbook, pk=pk) if pk else Playbook(organization=request.organization)
    )
    names = cell_names(layout=Grid.View.GRID_3X3)
    data = request.POST if request.method == "POST" else None
    form = PlaybookForm(data, instance=playbook, cell_names=names)
    initial = (
        list(playbook.steps.values("title", "guidance", "due_offset_days", "owner_role"))
        if pk
        else []
    )
    steps = StepFormSet(
        data, prefix="steps", initial=[{**s, "ORDER": i + 1} for i, s in enumerate(initial)]
    )
    if data is not None and form.is_valid() and steps.is_valid():
        with transaction.atomic():
            playbook = form.save()
            services.steps_replace(playbook=playbook, steps=steps.steps())
        messages.success(request, f"“{playbook}” was saved.")
        return redirect("playbooks:detail", pk=playbook.pk)
    return render(
        request,
        "playbooks/playbook_form.html",
        {"form": form, "steps": steps, "playbook": playbook},
    )


@member_required()
def playbook_detail(request, pk):
    playbook = get_object_or_404(Playbook.objects.prefetch_related("steps"), pk=pk)
    form = OutcomesForm(
        request.GET if "start" in request.GET else None, initial=OutcomesForm.initial_values()
    )
    values = (
        form.cleaned_data if form.is_bound and form.is_valid() else OutcomesForm.initial_values()
    )
    outcomes = (
        None if form.is_bound and form.errors else playbook_outcomes(playbook=playbook, **values)
    )
    runs = playbook.runs.select_related("account").order_by("-started_at", "-id")[:50]
    return render(
        request,
        "playbooks/playbook_detail.html",
        {
            "playbook": playbook,
            "cell_names": cell_names(layout=Grid.View.GRID_3X3),
            "form": form,
            "outcomes": outcomes,
            "runs": runs,
            "charts": {"outcome-chart": outcome_bars(outcomes)} if outcomes else {},
        },
    )


@member_required()
def inbox(request):
    csm = None
    if request.membership.can_manage and request.GET.get("csm"):
        membership = get_object_or_404(Membership, user_id=request.GET["csm"])
        csm = membership.user
    tasks = selectors.tasks_for_inbox(membership=request.membership, csm=csm)
    tab = (
        request.GET.get("tab")
        if request.GET.get("tab") in tasks
        else "overdue"
        if tasks["overdue"]
        else "due"
    )
    return render(
        request,
        "playbooks/inbox.html",
        {
            "tasks": tasks,
            "tab": tab,
            "shown": tasks[tab],
            "csm": csm,
            "team": selectors.overdue_by_csm() if request.membership.can_manage else None,
            "today": timezone.localdate(),
            "close_form": TaskCloseForm(),
            "bulk_form": TaskBulkForm(),
        },
    )


@member_required(can_write)
@require_POST
def tasks_bulk(request):
    """Complete, skip (one note for all) or reassign the ticked tasks of the inbox."""
    form = TaskBulkForm(request.POST)
    back = reverse("playbooks:inbox") + "?" + request.GET.urlencode()
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    data = form.cleaned_data
    tasks = list(PlaybookTask.objects.filter(pk__in=data["ids"]).select_related("account", "run"))
    try:
        if data["action"] == "reassign":
            if not request.membership.can_manage:
                raise PermissionDenied("Only a manager reassigns tasks.")
            moved = services.tasks_reassign(tasks=tasks, assignee=data["assignee"])
            messages.success(request, f"{moved} task{'s' if moved != 1 else ''} reassigned.")
        else:
            closed = services.tasks_close_many(
                tasks=tasks,
                status=data["action"],
                note=data["note"],
                by=request.user,
                membership=request.membership,
            )
            verb = "done" if data["action"] == "done" else "skipped"
            messages.success(request, f"{closed} task{'s' if closed != 1 else ''} {verb}.")
    except ValidationError as error:
        messages.error(request, f"Nothing was changed. {error.messages[0]}")
    return redirect(back)


@member_required(can_write)
def task_close(request, pk):
    task = get_object_or_404(PlaybookTask.objects.select_related("account", "run__playbook"), pk=pk)
    if not services.can_work_task(request.membership, task):
        raise PermissionDenied("Only the task's assignee or a manager can work this task.")
    form = TaskCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_close(
                task=task,
                membership=request.membership,
                by=request.user,
                via="browser",
                **form.cleaned_data,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"“{task}” marked {form.cleaned_data['status']}.")
            return redirect(next_or(request, "playbooks:inbox"))
    return render(request, "playbooks/task_close.html", {"task": task, "form": form})


@member_required(can_write)
@require_POST
def task_reopen(request, pk):
    task = get_object_or_404(PlaybookTask, pk=pk)
    try:
        services.task_close(
            task=task,
            status=PlaybookTask.Status.OPEN,
            membership=request.membership,
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{task}” is open again.")
    return redirect(next_or(request, "playbooks:inbox"))


@member_required(can_write)
@require_POST
def run_start(request, account_pk):
    account = get_object_or_404(Account, pk=account_pk)
    if not can_edit_account(request.membership, account):
        raise PermissionDenied("Only the account's CSM or a manager can start a playbook.")
    form = RunStartForm(request.POST, playbooks=Playbook.objects.filter(is_active=True))
    if form.is_valid():
        try:
            run = services.run_start(
                playbook=form.cleaned_data["playbook"], account=account, by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"“{run.playbook}” started: {run.tasks.count()} task(s).")
    else:
        messages.error(request, f"Not started: {form.errors.as_text()}")
    return redirect("accounts:detail", pk=account.pk)


@member_required()
def run_detail(request, pk):
    run = get_object_or_404(
        PlaybookRun.objects.select_related("playbook", "account", "started_by"), pk=pk
    )
    return render(
        request,
        "playbooks/run_detail.html",
        {
            "run": run,
            "cell_name": cell_names(layout=Grid.View.GRID_3X3).get(run.segment, run.segment),
            "tasks": run.tasks.select_related("assignee", "completed_by"),
            "today": timezone.localdate(),
        },
    )
