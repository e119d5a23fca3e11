from tenancy.tasks import tenant_task

from .notifications import digests_send
from .services import tasks_mark_overdue


@tenant_task()
def daily() -> dict:
    """Beat, once a day per organization: stamp overdue tasks, then send the digests."""
    return {"marked": tasks_mark_overdue(), "digests": digests_send()}
