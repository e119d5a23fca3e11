"""Celery tasks that touch tenant data run inside their organization, or refuse to run."""

from celery import current_app, shared_task

from core.audit import TASK, acting

from .context import organization_list_context, tenant_context
from .models import Organization


class TenantRequired(RuntimeError):
    pass


def tenant_task(**celery_options):
    """Declare a task whose first argument is the organization id it runs as.

    Send it with `core.queue.task_send_on_commit(path, organization_id, ...)`: only after the
    transaction commits, and run inside `tenant_context` (ORM scope and RLS setting).
    """

    def decorator(function):
        def run(organization_id, *args, **kwargs):
            if not organization_id:
                raise TenantRequired(f"{function.__name__} needs an organization id")
            with (
                tenant_context(organization_id),
                acting(TASK, label=f"{function.__module__}.{function.__name__}"),
            ):
                return function(*args, **kwargs)

        run.__name__ = function.__name__
        run.__qualname__ = function.__qualname__
        run.__module__ = function.__module__
        run.__doc__ = function.__doc__
        return shared_task(name=f"{function.__module__}.{function.__name__}", **celery_options)(run)

    return decorator


@shared_task(name="tenancy.tasks.for_each_organization")
def for_each_organization(task_name: str) -> int:
    """Beat's entry point: enqueue a tenant task once per organization, each in its tenant."""
    with organization_list_context():
        ids = [str(pk) for pk in Organization.objects.values_list("pk", flat=True)]
    for organization_id in ids:  # by name: the dispatcher need not import every app's tasks
        current_app.send_task(task_name, args=[organization_id])
    return len(ids)
