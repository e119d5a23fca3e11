from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.audit import audit_models
from tenancy.context import tenant_context
from tenancy.db import as_owner


@shared_task(name="audit.tasks.audit_prune")
def audit_prune(organization_id: str) -> int:
    """Delete the organization's audit events older than AUDIT_RETENTION_DAYS; beat runs it
    daily for every organization (tenancy.tasks.for_each_organization). The application role
    may not delete events (tenancy.db.grant_app_role), so this connects as the owner role, and
    RLS, forced on the owner too, keeps it to this organization."""
    cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    removed = 0
    with as_owner(), tenant_context(organization_id):
        for model in audit_models():
            # An event is the tenant's by its organization, or (the organization's own
            # settings) by the organization it is about.
            mine = (
                {"organization_id": organization_id}
                if any(f.name == "organization" for f in model._meta.fields)
                else {"pgh_obj_id": organization_id}
            )
            count, _ = model.objects.filter(pgh_created_at__lt=cutoff, **mine).delete()
            removed += count
    return removed
