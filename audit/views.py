import csv
import json

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tenancy.permissions import can_manage, member_required

from .forms import AuditFilterForm
from .selectors import audit_events, entries, entry_of, object_kinds, shown

PER_PAGE = 50
EXPORT_CHUNK = 2000
CSV_COLUMNS = [
    "at",
    "actor",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "changes",
    "request_id",
]


@member_required(can_manage)
def audit_list(request):
    """Who changed what: every recorded change, newest first, filtered."""
    form = AuditFilterForm(request.GET or None)
    page = Paginator(audit_events(form.filters()), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_list.html",
        {
            "form": form,
            "page": page,
            "entries": shown(entries(page)),
            "query": query.urlencode(),
            "retention_days": settings.AUDIT_RETENTION_DAYS,
            "recording": connection.vendor == "postgresql",
        },
    )


@member_required(can_manage)
def audit_export(request):
    """The same events as CSV, every page of them. Written whole, inside the request's tenant
    (a streamed body would be read after the tenant's transaction ends)."""
    events = audit_events(AuditFilterForm(request.GET or None).filters())
    kinds = object_kinds()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=EXPORT_CHUNK):
        entry = entry_of(event, kinds)
        changes = {c.field: {"before": c.before, "after": c.after} for c in entry.changes}
        writer.writerow(
            [
                entry.at.isoformat(),
                entry.actor,
                entry.actor_id,
                entry.actor_label,
                entry.action,
                entry.object_type,
                entry.object_id,
                entry.object_label,
                json.dumps(changes, default=str),
                entry.request_id,
            ]
        )
    return response
