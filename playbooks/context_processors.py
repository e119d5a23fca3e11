from django.utils.functional import SimpleLazyObject

from .selectors import open_task_count


def task_counts(request):
    """Open and overdue tasks in the signed-in member's inbox, for the navigation bar."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.can_write:
        return {}
    return {"task_counts": SimpleLazyObject(lambda: open_task_count(membership=membership))}
