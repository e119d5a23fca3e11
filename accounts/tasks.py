from tenancy.tasks import tenant_task

from . import services


@tenant_task()
def import_accounts(job_id: int) -> None:
    services.import_job_guarded(job_id, services.import_job_run)


@tenant_task()
def imports_relay() -> tuple[int, int]:
    """Beat's, for each tenant every IMPORT_RELAY_SECONDS: the imports whose task was lost,
    and those stuck past IMPORT_STUCK_SECONDS."""
    return services.imports_relay()
