from tenancy.tasks import tenant_task


@tenant_task()
def daily() -> dict:
    """Beat, once a day per organization: stamp overdue tasks, then send the digests."""
    from .notifications import digests_send
    from .services import tasks_mark_overdue

    return {"marked": tasks_mark_overdue(), "digests": digests_send()}
